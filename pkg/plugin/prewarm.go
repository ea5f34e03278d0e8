package plugin

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/store"
)

// prewarmQueries are the queries of the provisioned overview dashboard (SPEC §5), as the query JSON
// its panels send. Types the store does not implement yet are skipped, so the list can name every
// aggregate of the overview. Keep it in step with provisioning/dashboards/overview.json.
var prewarmQueries = []string{
	`{"queryType":"overview"}`,
	`{"queryType":"overview","metric":"mosP50"}`,
	`{"queryType":"conferenceStatus"}`,
	`{"queryType":"timeseries","metric":"conferences"}`,
	`{"queryType":"timeseries","metric":"sessions"}`,
	`{"queryType":"issueSummary"}`,
	`{"queryType":"gumErrors"}`,
	`{"queryType":"durationHistogram"}`,
	`{"queryType":"participantHistogram"}`,
	`{"queryType":"setupTimeHistogram"}`,
	`{"queryType":"connectionTypes"}`,
	`{"queryType":"breakdown","groupBy":"browser"}`,
	`{"queryType":"quality"}`,
	`{"queryType":"funnel"}`,
}

// prewarmRanges are the dashboard's quick ranges that are warmed: last 24 h, 7 d and 30 d.
var prewarmRanges = []time.Duration{24 * time.Hour, 7 * 24 * time.Hour, 30 * 24 * time.Hour}

const (
	// prewarmMaxDataPoints stands in for a panel's width: Grafana's interval is range / max data points.
	prewarmMaxDataPoints = 1000
	// prewarmActiveWindow: apps with a conference in this window are warmed one by one.
	prewarmActiveWindow = 48 * time.Hour
	// prewarmMaxApps bounds the apps warmed per cycle.
	prewarmMaxApps = 50
	// prewarmTimeoutPause: a query that hit the statement timeout is left out of pre-warming this long.
	prewarmTimeoutPause = time.Hour
	// prewarmMaxBackoff caps the delay after failed cycles.
	prewarmMaxBackoff = 15 * time.Minute
)

// prewarmer refreshes the overview queries of one data source instance every interval. Cycles run
// one at a time in one goroutine; with Redis a lock makes one replica warm per interval. stop
// cancels a running cycle and waits for the goroutine to end.
type prewarmer struct {
	d        *Datasource
	interval time.Duration
	timeout  time.Duration
	running  atomic.Bool
	cancel   context.CancelFunc
	done     chan struct{}
	stopOnce sync.Once
	// paused holds the queries (body, range, app) that hit the statement timeout, until when they are
	// left out: re-running them every cycle would cost a full statement timeout of database time per
	// interval and never warm them. Only the cycle goroutine touches it (cycles never overlap).
	paused map[string]time.Time
}

func newPrewarmer(d *Datasource) *prewarmer {
	iv := time.Duration(d.settings.PrewarmIntervalSeconds) * time.Second
	return &prewarmer{d: d, interval: iv, timeout: min(max(2*iv, time.Minute), 10*time.Minute), paused: map[string]time.Time{}}
}

func (d *Datasource) startPrewarm() *prewarmer {
	w := newPrewarmer(d)
	ctx, cancel := context.WithCancel(context.Background())
	w.cancel, w.done = cancel, make(chan struct{})
	go w.loop(ctx)
	return w
}

func (w *prewarmer) stop() {
	w.stopOnce.Do(func() {
		if w.cancel != nil {
			w.cancel()
			<-w.done
		}
	})
}

func (w *prewarmer) loop(ctx context.Context) {
	defer close(w.done)
	// A short random delay spreads replicas (and instances created together) apart.
	delay := time.Second + rand.N(2*time.Second)
	failures := 0
	for {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
		if _, err := w.runOnce(ctx); err != nil && ctx.Err() == nil {
			failures++
			delay = min(w.interval<<min(failures, 10), prewarmMaxBackoff)
			log.DefaultLogger.Warn("pre-warming failed; backing off", "uid", w.d.settings.UID, "retryIn", delay.String(), "error", err.Error())
		} else {
			failures = 0
			delay = w.interval
		}
	}
}

// errPrewarmBusy: a cycle is already running in this instance.
var errPrewarmBusy = errors.New("a pre-warming cycle is already running")

// runOnce runs one cycle unless one is running; the result is ok, partial (some queries failed, the
// others were warmed), skipped (another replica holds the lock) or error (nothing could be warmed;
// the loop backs off).
func (w *prewarmer) runOnce(ctx context.Context) (string, error) {
	if !w.running.CompareAndSwap(false, true) {
		return "busy", errPrewarmBusy
	}
	defer w.running.Store(false)
	start := time.Now()
	res, err := w.cycle(ctx)
	metricPrewarmRuns.WithLabelValues(res).Inc()
	if res != "skipped" {
		metricPrewarmDuration.Observe(time.Since(start).Seconds())
	}
	return res, err
}

func (w *prewarmer) lockName() string { return "pm:prewarm:" + w.d.settings.UID }

func (w *prewarmer) cycle(parent context.Context) (string, error) {
	d := w.d
	ctx, cancel := context.WithTimeout(parent, w.timeout)
	defer cancel()
	started := time.Now()
	var token string
	if d.cache.Backend().Shared() {
		var err error
		token, err = d.cache.TryLock(ctx, w.lockName(), w.timeout)
		if err != nil {
			return "error", fmt.Errorf("pre-warm lock: %w", err)
		}
		if token == "" {
			return "skipped", nil
		}
	}
	warmed, err := w.warm(ctx)
	if token != "" {
		lctx, lcancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer lcancel()
		// After a good cycle the lock stays until one interval after it started, so the replicas
		// together warm once per interval; after a failure another replica may try at once.
		if left := w.interval - time.Since(started); warmed > 0 && left > time.Second {
			d.cache.Extend(lctx, w.lockName(), token, left)
		} else {
			d.cache.Release(lctx, w.lockName(), token)
		}
	}
	switch {
	case err != nil && warmed == 0:
		return "error", err
	case err != nil:
		log.DefaultLogger.Warn("pre-warming: some queries failed", "uid", d.settings.UID, "warmed", warmed, "error", err.Error())
		return "partial", nil
	}
	return "ok", nil
}

// warm loads every pre-warm query for every range and scope through the cache, recomputing entries
// that would expire before the next cycle. It returns how many queries were warmed.
func (w *prewarmer) warm(ctx context.Context) (int, error) {
	d := w.d
	st, err := d.newStore(true)
	if err != nil {
		return 0, err
	}
	apps, err := d.activeApps(ctx)
	if err != nil {
		return 0, fmt.Errorf("active apps: %w", err)
	}
	warmed := 0
	now := d.now()
	var errs []error
	refreshBelow := w.interval + 10*time.Second
	for _, r := range prewarmRanges {
		for _, app := range append([]string{""}, apps...) {
			for _, body := range prewarmQueries {
				if ctx.Err() != nil {
					return warmed, errors.Join(append(errs, ctx.Err())...)
				}
				key := body + "|" + r.String() + "|" + app
				if now.Before(w.paused[key]) {
					continue
				}
				q, err := prewarmQuery(body, app, now.Add(-r), now, r/prewarmMaxDataPoints)
				if err != nil {
					errs = append(errs, err)
					continue
				}
				if !store.Supports(q.QueryType) {
					continue
				}
				if _, _, err := d.cachedRun(ctx, st, q, refreshBelow); err != nil {
					errs = append(errs, fmt.Errorf("%s %s app %q: %w", body, r, app, err))
					if pauseAfter(ctx, err) {
						w.paused[key] = now.Add(prewarmTimeoutPause)
					}
				} else {
					warmed++
				}
			}
		}
	}
	return warmed, errors.Join(errs...)
}

func prewarmQuery(body, app string, from, to time.Time, interval time.Duration) (query.Query, error) {
	if app != "" {
		body = strings.Replace(body, "{", `{"appId":"`+app+`",`, 1)
	}
	return query.Parse(backend.DataQuery{RefID: "prewarm", JSON: []byte(body),
		TimeRange: backend.TimeRange{From: from, To: to}, Interval: interval, MaxDataPoints: prewarmMaxDataPoints})
}

// activeApps lists the scoped apps with a conference created in the last two days (none when the
// data source covers a single app: the all-apps query already is that app).
func (d *Datasource) activeApps(ctx context.Context) ([]string, error) {
	if len(d.settings.AppIDs) == 1 {
		return nil, nil
	}
	db, err := d.statementDB(true)
	if err != nil {
		return nil, err
	}
	args := []any{d.now().Add(-prewarmActiveWindow)}
	conds := []string{"a.is_active"}
	if len(d.settings.AppIDs) > 0 {
		args = append(args, d.settings.AppIDs)
		conds = append(conds, fmt.Sprintf("a.id = ANY($%d::uuid[])", len(args)))
	}
	if d.settings.OrganizationID != "" {
		args = append(args, d.settings.OrganizationID)
		conds = append(conds, fmt.Sprintf("a.organization_id = $%d::uuid", len(args)))
	}
	sql := `SELECT a.id::text FROM app a WHERE ` + strings.Join(conds, " AND ") + `
  AND EXISTS (SELECT 1 FROM conference c WHERE c.app_id = a.id AND c.is_active AND c.created_at >= $1)
ORDER BY 1 LIMIT ` + fmt.Sprint(prewarmMaxApps)
	rows, err := db.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

// pauseAfter reports whether a pre-warm query that failed with err is left out for a while: only
// for a statement timeout. A cycle cut short by its own deadline cancels its statement with the same
// SQLSTATE (and, racing with the cancellation, may see that error first); that is no reason to pause
// (fleet quality's finished days are cached; the next cycle goes on from there).
func pauseAfter(cycle context.Context, err error) bool {
	return isStatementTimeout(err) && cycle.Err() == nil
}

// isStatementTimeout reports PostgreSQL's statement timeout (SQLSTATE 57014).
func isStatementTimeout(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "57014"
}
