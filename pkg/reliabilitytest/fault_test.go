package reliabilitytest

import (
	"context"
	"net/http"
	"os"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5"

	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

// long reports whether the longer variants were asked for (PM_LONG=1).
func long() bool { return os.Getenv("PM_LONG") == "1" }

// uniqueRange gives each call its own one-minute-aligned range, so no answer comes from the cache.
var rangeSeq atomic.Int64

func uniqueQuery(js string) q {
	i := rangeSeq.Add(1)
	return q{RefID: "A", JSON: js, From: fixFrom.Add(time.Duration(i%5000) * time.Minute), To: fixTo.Add(time.Duration(i/5000) * time.Hour)}
}

type outcome struct {
	at   time.Time
	resp backend.DataResponse
	dur  time.Duration
}

// load sends one query at a time in a loop until stop is closed and records each answer.
func load(t *testing.T, p *grpcPlugin, s *ds, js string, stop <-chan struct{}) func() []outcome {
	var mu sync.Mutex
	var out []outcome
	done := make(chan struct{})
	go func() {
		defer close(done)
		for {
			select {
			case <-stop:
				return
			default:
			}
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			start := time.Now()
			res, err := p.queryCtx(ctx, t, s, uniqueQuery(js))
			cancel()
			var r backend.DataResponse
			if err != nil {
				r = backend.ErrDataResponse(backend.StatusInternal, "gRPC: "+err.Error())
			} else {
				r = res.Responses["A"]
			}
			mu.Lock()
			out = append(out, outcome{at: start, resp: r, dur: time.Since(start)})
			mu.Unlock()
			time.Sleep(20 * time.Millisecond)
		}
	}()
	return func() []outcome {
		<-done
		mu.Lock()
		defer mu.Unlock()
		return out
	}
}

// waitFor polls cond until it holds or the timeout passes.
func waitFor(timeout time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(timeout)
	for time.Now().Before(deadline) {
		if cond() {
			return true
		}
		time.Sleep(50 * time.Millisecond)
	}
	return cond()
}

// TestPostgresStoppedAndRestartedDuringLoad: a private password-protected PostgreSQL is stopped
// while queries run and started again. During the outage each query fails fast with a 502 from
// downstream naming the host (and no password); after the restart the same plugin process answers
// again by itself, and the health check is green.
func TestPostgresStoppedAndRestartedDuringLoad(t *testing.T) {
	srv := testdb.StartPasswordServer(t)
	loadSchemaAndFixture(t, srv.URL("postgres"), srv.URL("pm"), "pm")
	p := startPlugin(t)
	s := newDS(srv.Addr, "pm", srv.User, map[string]any{"queryTimeoutSeconds": 5})
	s.Secrets["password"] = srv.Password
	if h := p.health(t, s); h.Status != backend.HealthStatusOk {
		t.Fatalf("health before: %s", h.Message)
	}
	stop := make(chan struct{})
	results := load(t, p, s, `{"queryType": "overview"}`, stop)
	time.Sleep(500 * time.Millisecond)
	stoppedAt := time.Now()
	if err := srv.Stop(); err != nil {
		t.Fatalf("stop PostgreSQL: %v", err)
	}
	outage := 2 * time.Second
	if long() {
		outage = 15 * time.Second
	}
	time.Sleep(outage)
	if err := srv.Start(); err != nil {
		t.Fatalf("start PostgreSQL: %v", err)
	}
	startedAt := time.Now()
	time.Sleep(3 * time.Second)
	close(stop)
	out := results()

	var okBefore, failed, okAfter int
	var firstOKAfter time.Time
	for _, o := range out {
		r := o.resp
		switch {
		case r.Error == nil && o.at.Before(stoppedAt):
			okBefore++
		case r.Error == nil && o.at.After(startedAt):
			okAfter++
			if firstOKAfter.IsZero() {
				firstOKAfter = o.at.Add(o.dur)
			}
		case r.Error == nil:
		default:
			failed++
			msg := r.Error.Error()
			if o.at.Before(stoppedAt) || o.at.After(startedAt.Add(time.Second)) {
				t.Errorf("a query failed outside the outage: %s", respErr(r))
			}
			if r.Status != http.StatusBadGateway || r.ErrorSource != backend.ErrorSourceDownstream {
				t.Errorf("outage error %s, want 502 downstream", respErr(r))
			}
			mustContain(t, msg, "PostgreSQL at "+srv.Addr)
			if strings.Contains(msg, srv.Password) {
				t.Errorf("the error holds the password: %s", msg)
			}
			if o.dur > 6*time.Second {
				t.Errorf("a query took %s to fail during the outage", o.dur)
			}
		}
	}
	t.Logf("%d answers before the stop, %d failures during the outage, %d answers after the restart (first %s after it)",
		okBefore, failed, okAfter, firstOKAfter.Sub(startedAt).Round(time.Millisecond))
	if okBefore == 0 || failed == 0 || okAfter == 0 {
		t.Fatalf("want answers, then failures, then answers again")
	}
	if h := p.health(t, s); h.Status != backend.HealthStatusOk {
		t.Errorf("health after the restart: %s", h.Message)
	}
	if strings.Contains(p.logs.String(), srv.Password) {
		t.Errorf("the plugin log holds the PostgreSQL password")
	}
}

// lockConference holds an ACCESS EXCLUSIVE lock on conference in a separate session, so every
// plugin query that reads it waits; release ends the transaction.
func lockConference(t *testing.T, url string) (release func()) {
	t.Helper()
	ctx := context.Background()
	conn := connect(t, url)
	tx, err := conn.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "LOCK TABLE conference IN ACCESS EXCLUSIVE MODE"); err != nil {
		t.Fatal(err)
	}
	var once sync.Once
	release = func() { once.Do(func() { _ = tx.Rollback(ctx) }) }
	t.Cleanup(release)
	return release
}

// pluginActivity counts the plugin's sessions on the database, and those running a statement.
func pluginActivity(t *testing.T, conn *pgx.Conn) (sessions, active int) {
	t.Helper()
	err := conn.QueryRow(context.Background(), `SELECT count(*), count(*) FILTER (WHERE state = 'active')
		FROM pg_stat_activity WHERE datname = current_database() AND application_name = 'grafana-peermetrics-datasource'`).Scan(&sessions, &active)
	if err != nil {
		t.Fatal(err)
	}
	return sessions, active
}

// TestStatementTimeout: with queryTimeoutSeconds 1 and maxConns 1, a query blocked by a lock hits
// the statement timeout: a 504 from downstream saying so, within about a second. The one pooled
// connection is returned: the next query answers once the lock is gone.
func TestStatementTimeout(t *testing.T) {
	db := fixtureDB(t)
	watch := connect(t, db.URL)
	p := startPlugin(t)
	s := sharedDS(db.Name, map[string]any{"queryTimeoutSeconds": 1, "maxConns": 1})
	release := lockConference(t, db.URL)
	start := time.Now()
	res := p.query(t, s, uniqueQuery(`{"queryType": "conferences"}`))
	took := time.Since(start)
	r := res.Responses["A"]
	if r.Status != http.StatusGatewayTimeout || r.ErrorSource != backend.ErrorSourceDownstream {
		t.Fatalf("blocked query: %s after %s, want 504 downstream", respErr(r), took)
	}
	mustContain(t, r.Error.Error(), "1s statement timeout", "PostgreSQL at")
	if took > 4*time.Second {
		t.Errorf("the timeout took %s for a 1 s statement timeout", took)
	}
	// Still blocked: the same connection times out again (it was not lost or left broken).
	res = p.query(t, s, uniqueQuery(`{"queryType": "overview"}`))
	if r := res.Responses["A"]; r.Status != http.StatusGatewayTimeout {
		t.Errorf("second blocked query: %s, want 504", respErr(r))
	}
	release()
	res = p.query(t, s, uniqueQuery(`{"queryType": "conferences"}`))
	if r := res.Responses["A"]; r.Error != nil || rowCount(r.Frames) == 0 {
		t.Fatalf("after the lock: %s", respErr(r))
	}
	if sessions, active := pluginActivity(t, watch); sessions > 1 || active != 0 {
		t.Errorf("%d plugin sessions (%d active) with maxConns 1 after the timeouts", sessions, active)
	}
}

// TestCancelledRequestCancelsDatabaseQuery: Grafana cancels a request (the gRPC context) while its
// query waits on a lock; within two seconds PostgreSQL runs no plugin statement any more
// (pg_stat_activity), long before the 30 s statement timeout. The data source answers afterwards.
func TestCancelledRequestCancelsDatabaseQuery(t *testing.T) {
	db := fixtureDB(t)
	watch := connect(t, db.URL)
	p := startPlugin(t)
	s := sharedDS(db.Name, map[string]any{"queryTimeoutSeconds": 30, "maxConns": 4})
	release := lockConference(t, db.URL)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() {
		_, err := p.queryCtx(ctx, t, s, uniqueQuery(`{"queryType": "conferences"}`), uniqueQuery(`{"queryType": "overview"}`))
		errc <- err
	}()
	if !waitFor(10*time.Second, func() bool { _, active := pluginActivity(t, watch); return active > 0 }) {
		t.Fatal("the plugin's query never reached PostgreSQL")
	}
	time.Sleep(300 * time.Millisecond)
	cancel()
	cancelledAt := time.Now()
	select {
	case err := <-errc:
		if err == nil || !strings.Contains(err.Error(), "Canceled") {
			t.Logf("QueryData after cancel: %v", err)
		}
	case <-time.After(5 * time.Second):
		t.Error("QueryData did not return within 5 s of the cancellation")
	}
	if !waitFor(2*time.Second, func() bool { _, active := pluginActivity(t, watch); return active == 0 }) {
		var rows []string
		r, _ := watch.Query(context.Background(), `SELECT state || ' ' || coalesce(wait_event_type, '') || ' ' || left(query, 60)
			FROM pg_stat_activity WHERE application_name = 'grafana-peermetrics-datasource' AND datname = current_database()`)
		for r.Next() {
			var x string
			_ = r.Scan(&x)
			rows = append(rows, x)
		}
		r.Close()
		t.Fatalf("2 s after Grafana cancelled the request, PostgreSQL still runs the plugin's query: %v", rows)
	}
	t.Logf("the database query was gone %s after the cancellation", time.Since(cancelledAt).Round(time.Millisecond))
	release()
	res := p.query(t, s, uniqueQuery(`{"queryType": "conferences"}`))
	if r := res.Responses["A"]; r.Error != nil {
		t.Errorf("after the cancellation: %s", respErr(r))
	}
}

// TestRedisKilledAndRestarted: the cache's Redis (this test's own redis-server) is killed with
// SIGKILL during a load and started again. Every query keeps answering from PostgreSQL, without
// waiting long on the dead Redis, and once Redis is back the plugin writes to it again by itself.
func TestRedisKilledAndRestarted(t *testing.T) {
	db := fixtureDB(t)
	r := testdb.StartRedis(t)
	p := startPlugin(t)
	s := sharedDS(db.Name, map[string]any{"redisAddresses": []string{r.Addr()}})
	stop := make(chan struct{})
	results := load(t, p, s, `{"queryType": "overview"}`, stop)
	if !waitFor(5*time.Second, func() bool { return r.CLI(t, "dbsize") != "0" }) {
		t.Fatal("nothing was cached in Redis")
	}
	r.Kill()
	killedAt := time.Now()
	down := 2 * time.Second
	if long() {
		down = 20 * time.Second
	}
	time.Sleep(down)
	r.Start(t)
	restartedAt := time.Now()
	refilled := waitFor(15*time.Second, func() bool { return r.CLI(t, "dbsize") != "0" })
	close(stop)
	out := results()
	var during, slow int
	for _, o := range out {
		if o.resp.Error != nil {
			t.Errorf("a query failed (Redis down: %v): %s", o.at.After(killedAt) && o.at.Before(restartedAt), respErr(o.resp))
		}
		if o.at.After(killedAt) && o.at.Before(restartedAt) {
			during++
			if o.dur > 5*time.Second { // Redis timeouts are 1 s; a hang on the dead Redis would be far longer
				slow++
			}
		}
	}
	t.Logf("%d queries in all, %d while Redis was down (%d slower than 5 s)", len(out), during, slow)
	if during == 0 {
		t.Error("no query ran while Redis was down")
	}
	if slow > 1 {
		t.Errorf("%d queries took more than 5 s while Redis was down", slow)
	}
	if !refilled {
		t.Error("the plugin did not write to Redis again within 15 s of its restart")
	}
}

// TestPoolExhaustion: maxConns 2 and 200 concurrent QueryData calls, all blocked by a lock that is
// released after a second. Every call answers (a result, or a timeout error) within a bounded
// time; nothing deadlocks, and the pool never exceeds its two connections.
func TestPoolExhaustion(t *testing.T) {
	db := fixtureDB(t)
	watch := connect(t, db.URL)
	p := startPlugin(t)
	s := sharedDS(db.Name, map[string]any{"queryTimeoutSeconds": 5, "maxConns": 2})
	release := lockConference(t, db.URL)
	const calls = 200
	var wg sync.WaitGroup
	var ok, timeouts, other atomic.Int64
	var otherMsg atomic.Value
	start := time.Now()
	for i := range calls {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
			defer cancel()
			js := `{"queryType": "conferences"}`
			if i%2 == 1 {
				js = `{"queryType": "overview"}`
			}
			res, err := p.queryCtx(ctx, t, s, uniqueQuery(js))
			switch {
			case err != nil:
				other.Add(1)
				otherMsg.Store(err.Error())
			case res.Responses["A"].Error == nil:
				ok.Add(1)
			case res.Responses["A"].Status == http.StatusGatewayTimeout:
				timeouts.Add(1)
			default:
				other.Add(1)
				otherMsg.Store(respErr(res.Responses["A"]))
			}
		}()
	}
	maxSessions := 0
	sample := func() {
		n, _ := pluginActivity(t, watch)
		maxSessions = max(maxSessions, n)
	}
	for time.Since(start) < time.Second {
		sample()
		time.Sleep(20 * time.Millisecond)
	}
	release()
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(45 * time.Second):
		t.Fatalf("deadlock: %d of %d calls answered after 45 s", ok.Load()+timeouts.Load()+other.Load(), calls)
	}
	sample()
	t.Logf("%d calls in %s: %d answered, %d timed out, %d other; at most %d plugin sessions",
		calls, time.Since(start).Round(time.Millisecond), ok.Load(), timeouts.Load(), other.Load(), maxSessions)
	if other.Load() > 0 {
		t.Errorf("%d calls failed otherwise than with a timeout, e.g. %v", other.Load(), otherMsg.Load())
	}
	if ok.Load() == 0 {
		t.Error("no call answered after the lock was released")
	}
	if maxSessions > 2 {
		t.Errorf("%d plugin sessions with maxConns 2", maxSessions)
	}
	// The pool is healthy afterwards.
	res := p.query(t, s, uniqueQuery(`{"queryType": "conferences"}`))
	if r := res.Responses["A"]; r.Error != nil {
		t.Errorf("after the storm: %s", respErr(r))
	}
}
