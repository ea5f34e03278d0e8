// Package plugin holds the Grafana handlers of the data source: one file per handler (query,
// health, resource) and the instance that owns the connections. Instances are created per data
// source and settings version by the SDK's instance manager, and disposed when settings change.
package plugin

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/instancemgmt"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/peermetrics/grafana-datasource/pkg/cache"
	"github.com/peermetrics/grafana-datasource/pkg/settings"
	"github.com/peermetrics/grafana-datasource/pkg/store"
)

// Compile-time checks of the handlers the data source implements.
var (
	_ backend.QueryDataHandler      = (*Datasource)(nil)
	_ backend.CheckHealthHandler    = (*Datasource)(nil)
	_ backend.CallResourceHandler   = (*Datasource)(nil)
	_ instancemgmt.InstanceDisposer = (*Datasource)(nil)
)

// Datasource is one configured Peermetrics data source.
type Datasource struct {
	settings settings.Settings
	// settingsErr is reported by every query and the health check instead of failing creation,
	// so a bad configuration is a readable message in Grafana, not a broken plugin.
	settingsErr error

	poolOnce sync.Once
	pool     *pgxpool.Pool
	poolErr  error
	// statements is the pool as the store uses it (store.ParallelWhenAlone), one per data source so
	// that it sees all of the data source's statements.
	statements store.DB

	redisOnce sync.Once
	redis     redis.UniversalClient

	// cache holds query results: Redis when configured, else an in-process LRU (SPEC §5).
	cache    *cache.Cache
	cacheLog cacheErrorLog
	// now is the clock of cache expiries and bucket completeness (injectable for tests).
	now func() time.Time
	// wrapDB wraps what the store sends to PostgreSQL (tests count statements with it).
	wrapDB func(store.DB) store.DB

	prewarm *prewarmer
	// loads shares loads that panels make at the same time (store.Inflight).
	loads cache.Flight
	// stores counts bucket writes still running after their response (storeAsync).
	stores atomic.Int64
}

// options are the test seams of a Datasource.
type options struct {
	now       func() time.Time
	wrapDB    func(store.DB) store.DB
	noPrewarm bool
	// redisCooldown shortens the circuit breaker for tests.
	redisCooldown time.Duration
	lruBytes      int64
}

// NewDatasource is the instance factory given to datasource.Manage.
func NewDatasource(_ context.Context, s backend.DataSourceInstanceSettings) (instancemgmt.Instance, error) {
	cfg, err := settings.Load(s)
	return newDatasource(cfg, err, options{}), nil
}

func newDatasource(cfg settings.Settings, settingsErr error, o options) *Datasource {
	d := &Datasource{settings: cfg, settingsErr: settingsErr, now: o.now, wrapDB: o.wrapDB}
	if d.now == nil {
		d.now = time.Now
	}
	d.cacheLog.password = cfg.RedisPassword
	var b cache.Backend
	if settingsErr == nil && len(cfg.RedisAddresses) > 0 {
		b = cache.NewRedis(d.redisClient(), cache.RedisOptions{Cooldown: o.redisCooldown, OnError: d.cacheLog.report})
	} else {
		b = cache.NewLRU(o.lruBytes, d.now)
	}
	d.cache = cache.New(b, cache.Options{Now: d.now, OnRefreshError: func(_ string, err error) {
		log.DefaultLogger.Warn("background refresh of a stale cache entry failed", "error", err.Error())
	}})
	if settingsErr == nil && cfg.Prewarm && !o.noPrewarm {
		d.prewarm = d.startPrewarm()
	}
	return d
}

// db returns the pool, creating it on first use: a data source that is never queried opens no
// connection, and a database that is down at start-up does not prevent the instance from existing.
func (d *Datasource) db() (*pgxpool.Pool, error) {
	if d.settingsErr != nil {
		return nil, d.settingsErr
	}
	d.poolOnce.Do(func() {
		cfg, err := d.settings.PoolConfig()
		if err != nil {
			d.poolErr = err
			return
		}
		// NewWithConfig does not connect; connections are made (and re-made after an outage) on demand.
		d.pool, d.poolErr = pgxpool.NewWithConfig(context.Background(), cfg)
		if d.poolErr == nil {
			d.statements = store.ParallelWhenAlone(d.pool)
		}
	})
	return d.pool, d.poolErr
}

func (d *Datasource) store() (*store.Store, error) { return d.newStore(false) }

// newStore builds the store of one request over statementDB(background).
func (d *Datasource) newStore(background bool) (*store.Store, error) {
	db, err := d.statementDB(background)
	if err != nil {
		return nil, err
	}
	return store.New(db, store.Scope{AppIDs: d.settings.AppIDs, OrganizationID: d.settings.OrganizationID}, d.settings.Thresholds).
		WithShare(d.shared).WithInflight(d.loads.Do), nil
}

// statementDB is where a request sends its statements (through wrapDB when set). Background work
// (the pre-warmer) goes to the pool directly, so that store.ParallelWhenAlone neither boosts nor
// counts it: pre-warming does not take both cores, and a user's statement that starts during a
// cycle still counts as alone.
func (d *Datasource) statementDB(background bool) (store.DB, error) {
	pool, err := d.db()
	if err != nil {
		return nil, err
	}
	db := d.statements
	if background {
		db = pool
	}
	if d.wrapDB != nil {
		db = d.wrapDB(db)
	}
	return db, nil
}

// Dispose stops pre-warming (waiting for a running cycle to end) and closes the pool and the Redis
// client when Grafana replaces or removes the instance.
func (d *Datasource) Dispose() {
	if d.prewarm != nil {
		d.prewarm.stop()
	}
	d.waitStores(storeTimeout)
	if d.pool != nil {
		d.pool.Close()
	}
	if d.redis != nil {
		_ = d.redis.Close()
	}
}

// hostDesc names the database in messages without any credential.
func (d *Datasource) hostDesc() string {
	return fmt.Sprintf("PostgreSQL at %s (database %s)", d.settings.Host, d.settings.Database)
}
