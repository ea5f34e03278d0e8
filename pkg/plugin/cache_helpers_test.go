package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"net"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/peermetrics/grafana-datasource/pkg/settings"
	"github.com/peermetrics/grafana-datasource/pkg/store"
	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

const (
	app1 = "00000000-0000-4000-8000-000000000a11"
	app2 = "00000000-0000-4000-8000-000000000a12"
)

// fixtureDB is a new test database holding pkg/store's hand-counted fixture.
func fixtureDB(t testing.TB) *testdb.DB {
	t.Helper()
	db := testdb.New(t)
	sql, err := os.ReadFile(filepath.Join("..", "store", "testdata", "fixture.sql"))
	if err != nil {
		t.Fatal(err)
	}
	pool, err := pgxpool.New(context.Background(), db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer pool.Close()
	if _, err := pool.Exec(context.Background(), string(sql)); err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	return db
}

// testSettings points a data source at a test database (and Redis addresses, if any).
func testSettings(t testing.TB, db *testdb.DB, uid string, redisAddrs []string, extra map[string]any) settings.Settings {
	t.Helper()
	u, err := url.Parse(db.URL)
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	j := map[string]any{"host": u.Host, "database": db.Name, "user": u.User.Username(), "prewarm": false,
		"appIds": []string{app1}, "redisAddresses": redisAddrs}
	for k, v := range extra {
		j[k] = v
	}
	raw, _ := jsonMarshal(j)
	s, err := settings.Load(backend.DataSourceInstanceSettings{UID: uid, Updated: time.Unix(1_700_000_000, 0),
		JSONData: raw, DecryptedSecureJSONData: map[string]string{"password": pw}})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// countingDB records every statement the store sends to PostgreSQL, with its arguments.
type countingDB struct {
	delay time.Duration
	mu    sync.Mutex
	calls []dbCall
	// failIf, when set, fails the statements it matches (after recording them).
	failIf func(dbCall) bool
}

type dbCall struct {
	sql  string
	args []any
}

func (c *countingDB) record(sql string, args []any) {
	c.mu.Lock()
	c.calls = append(c.calls, dbCall{sql, args})
	delay := c.delay
	c.mu.Unlock()
	if delay > 0 {
		time.Sleep(delay)
	}
}

var errInjected = errors.New("injected failure")

// countedDB is one store's view of a pool through a countingDB.
type countedDB struct {
	c     *countingDB
	inner store.DB
}

func (v countedDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	v.c.record(sql, args)
	v.c.mu.Lock()
	fail := v.c.failIf
	v.c.mu.Unlock()
	if fail != nil && fail(dbCall{sql, args}) {
		return nil, errInjected
	}
	return v.inner.Query(ctx, sql, args...)
}

func (v countedDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	v.c.record(sql, args)
	return v.inner.QueryRow(ctx, sql, args...)
}

func (c *countingDB) setDelay(d time.Duration) {
	c.mu.Lock()
	c.delay = d
	c.mu.Unlock()
}

func (c *countingDB) count() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.calls)
}

func (c *countingDB) last() dbCall {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.calls[len(c.calls)-1]
}

// timeArgs are the time arguments of a statement, in order.
func (c dbCall) timeArgs() []time.Time {
	var out []time.Time
	for _, a := range c.args {
		if t, ok := a.(time.Time); ok {
			out = append(out, t.UTC())
		}
	}
	return out
}

// wrapper gives a data source a counting wrapper around its pool.
func (c *countingDB) wrap(db store.DB) store.DB { return countedDB{c: c, inner: db} }

// fakeClock is an injectable now.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (f *fakeClock) Now() time.Time { f.mu.Lock(); defer f.mu.Unlock(); return f.t }
func (f *fakeClock) Set(t time.Time) {
	f.mu.Lock()
	f.t = t
	f.mu.Unlock()
}

// dq is a data query with the given JSON, range and interval.
func dq(refID, body string, from, to time.Time, interval time.Duration) backend.DataQuery {
	var m map[string]any
	_ = jsonUnmarshal([]byte(body), &m)
	qt, _ := m["queryType"].(string)
	return backend.DataQuery{RefID: refID, QueryType: qt, JSON: []byte(body),
		TimeRange: backend.TimeRange{From: from, To: to}, Interval: interval, MaxDataPoints: 1000}
}

// runOne runs one query through QueryData and fails the test on an error response. It returns once
// the buckets the query computed are written (storeAsync), as a load a little later would find them.
func runOne(t testing.TB, d *Datasource, q backend.DataQuery) (data.Frames, string) {
	t.Helper()
	resp, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{q}})
	if err != nil {
		t.Fatal(err)
	}
	d.waitStores(time.Minute)
	r := resp.Responses[q.RefID]
	if r.Error != nil {
		t.Fatalf("query %s: %v", q.JSON, r.Error)
	}
	return r.Frames, cacheStatus(r.Frames)
}

func cacheStatus(fs data.Frames) string {
	if len(fs) == 0 || fs[0].Meta == nil {
		return ""
	}
	m, _ := fs[0].Meta.Custom.(map[string]any)
	s, _ := m["cache"].(string)
	return s
}

// startCluster starts a 3-node Redis Cluster (no replicas) on free loopback ports.
func startCluster(t testing.TB) []string {
	t.Helper()
	var addrs []string
	for range 3 {
		// Each server has a directory of its own, so the cluster config file names need not differ.
		r := testdb.StartRedis(t, "--cluster-enabled", "yes", "--cluster-config-file", "nodes.conf",
			"--cluster-node-timeout", "2000")
		addrs = append(addrs, r.Addr())
	}
	args := append([]string{"--cluster", "create"}, addrs...)
	args = append(args, "--cluster-replicas", "0", "--cluster-yes")
	if out, err := exec.Command("redis-cli", args...).CombinedOutput(); err != nil {
		t.Fatalf("redis-cli --cluster create: %v\n%s", err, out)
	}
	deadline := time.Now().Add(15 * time.Second)
	for _, a := range addrs {
		_, port, _ := net.SplitHostPort(a)
		for {
			out, _ := exec.Command("redis-cli", "-p", port, "cluster", "info").Output()
			if strings.Contains(string(out), "cluster_state:ok") {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("cluster not ready: %s", out)
			}
			time.Sleep(50 * time.Millisecond)
		}
	}
	return addrs
}

func jsonMarshal(v any) ([]byte, error)   { return json.Marshal(v) }
func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }

func reqOf(qs ...backend.DataQuery) *backend.QueryDataRequest {
	return &backend.QueryDataRequest{Queries: qs}
}
