package plugin

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/store"
	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

var (
	day1 = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	day4 = time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC)
)

func uniqueUID(t testing.TB) string {
	return fmt.Sprintf("uid-%s-%d", strings.ReplaceAll(t.Name(), "/", "-"), time.Now().UnixNano())
}

// newTestDS is a data source over db with a counting wrapper and a fake clock.
func newTestDS(t testing.TB, db *testdb.DB, uid string, redisAddrs []string, clk *fakeClock) (*Datasource, *countingDB) {
	t.Helper()
	c := &countingDB{}
	o := options{wrapDB: c.wrap, noPrewarm: true, redisCooldown: 200 * time.Millisecond}
	if clk != nil {
		o.now = clk.Now
	}
	d := newDatasource(testSettings(t, db, uid, redisAddrs, nil), nil, o)
	t.Cleanup(d.Dispose)
	return d, c
}

// TestCacheHitMissMeta: the second identical load (another RefID) is a hit that sends nothing to
// PostgreSQL; the range is normalized to the minute, run on the normalized range, and stated in
// Meta.Custom and a notice.
func TestCacheHitMissMeta(t *testing.T) {
	db := fixtureDB(t)
	clk := &fakeClock{t: day4.Add(48 * time.Hour)}
	d, c := newTestDS(t, db, uniqueUID(t), nil, clk)
	from, to := day1.Add(17*time.Second), day4.Add(-17*time.Second)
	fs, st := runOne(t, d, dq("A", `{"queryType":"overview"}`, from, to, time.Minute))
	// Two statements: the setup times shared with setupTimeHistogram, then the rest.
	if st != "miss" || c.count() != 2 {
		t.Fatalf("first load: %s with %d statements", st, c.count())
	}
	for i, a := range c.last().timeArgs() {
		if want := []time.Time{day1, day4}[i%2]; !a.Equal(want) {
			t.Errorf("SQL time argument %d = %v, want the normalized range %v – %v", i, a, day1, day4)
		}
	}
	fs2, st := runOne(t, d, dq("B", `{"queryType":"overview"}`, from.Add(20*time.Second), to.Add(10*time.Second), time.Minute))
	if st != "hit" || c.count() != 2 {
		t.Fatalf("second load (other RefID, same grain): %s with %d statements", st, c.count())
	}
	if fs2[0].RefID != "B" {
		t.Errorf("RefID %q", fs2[0].RefID)
	}
	m := fs2[0].Meta.Custom.(map[string]any)
	rng := m["cacheRange"].(map[string]any)
	if rng["from"] != "2026-11-01T00:00:00Z" || rng["to"] != "2026-11-04T00:00:00Z" {
		t.Errorf("cacheRange %v", rng)
	}
	var notice bool
	for _, n := range fs2[0].Meta.Notices {
		notice = notice || (n.Severity == data.NoticeSeverityInfo && n.Text == "covers 2026-11-01 00:00 – 2026-11-04 00:00 (UTC)")
	}
	if !notice {
		t.Errorf("no range notice: %+v", fs2[0].Meta.Notices)
	}
	sameValues(t, "hit vs miss", statusValues(t, fs2), statusValues(t, fs))
	if fs2[0].Meta.ExecutedQueryString == "" {
		t.Error("hit lost the executed SQL")
	}
	// Another query shape is another key.
	if _, st := runOne(t, d, dq("A", `{"queryType":"overview","filters":{"browser":["Firefox"]}}`, from, to, time.Minute)); st != "miss" {
		t.Errorf("filtered query: %s", st)
	}
	// Bad input never reaches the cache or the database.
	resp, _ := d.QueryData(context.Background(), reqOf(dq("X", `{"queryType":"nope"}`, from, to, time.Minute)))
	if resp.Responses["X"].Error == nil {
		t.Error("unknown query type answered")
	}
}

// TestTTLRule: a range ending within the last hour uses the live TTL, an older one the historic TTL.
// The session-dimension breakdowns of a dashboard (one request, as Grafana sends the panels, and
// then another load) run one statement together; another filter is another statement.
func TestSessionBreakdownPanelsShareOneStatement(t *testing.T) {
	db := fixtureDB(t)
	d, c := newTestDS(t, db, uniqueUID(t), nil, &fakeClock{t: day4.Add(48 * time.Hour)})
	var qs []backend.DataQuery
	for i, gb := range []string{"browser", "os", "country", "city", "appVersion", "sdk"} {
		qs = append(qs, dq(fmt.Sprint("P", i), `{"queryType":"breakdown","groupBy":"`+gb+`"}`, day1, day4, time.Minute))
	}
	resp, err := d.QueryData(context.Background(), reqOf(qs...))
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range qs {
		if r := resp.Responses[q.RefID]; r.Error != nil || len(r.Frames) != 1 {
			t.Fatalf("%s: %v", q.JSON, r.Error)
		}
	}
	if c.count() != 1 {
		t.Fatalf("six breakdown panels sent %d statements, want 1", c.count())
	}
	// A panel with another limit is another panel key but the same shared statement.
	if _, st := runOne(t, d, dq("Q", `{"queryType":"breakdown","groupBy":"os","limit":1}`, day1, day4, time.Minute)); st != "miss" || c.count() != 1 {
		t.Errorf("os limit 1: %s with %d statements", st, c.count())
	}
	if _, st := runOne(t, d, dq("R", `{"queryType":"breakdown","groupBy":"os","filters":{"browser":["Firefox"]}}`, day1, day4, time.Minute)); st != "miss" || c.count() != 2 {
		t.Errorf("filtered: %s with %d statements", st, c.count())
	}
}

// An overview narrowed to one number (an alert rule) runs only the statement that number comes
// from, and answers what the whole overview answers.
func TestOverviewMetricRunsOnlyItsStatement(t *testing.T) {
	db := fixtureDB(t)
	d, c := newTestDS(t, db, uniqueUID(t), nil, &fakeClock{t: day4.Add(48 * time.Hour)})
	narrowed := map[string]data.Frames{}
	for _, metric := range []string{"errorRatePct", "setupP95Ms"} {
		before := c.count()
		narrowed[metric], _ = runOne(t, d, dq("B", `{"queryType":"overview","metric":"`+metric+`"}`, day1, day4, time.Minute))
		if n := c.count() - before; n != 1 {
			t.Errorf("%s: %d statements, want 1", metric, n)
		}
	}
	all, _ := runOne(t, d, dq("A", `{"queryType":"overview"}`, day1, day4, time.Minute))
	for metric, fs := range narrowed {
		got, _ := fs[0].FieldByName(metric)
		want, _ := all[0].FieldByName(metric)
		if got == nil || len(fs[0].Fields) != 1 {
			t.Fatalf("%s: fields %v", metric, fs[0].Fields)
		}
		g, _ := got.ConcreteAt(0)
		w, _ := want.ConcreteAt(0)
		if g == nil || g != w {
			t.Errorf("%s = %v, the whole overview says %v", metric, g, w)
		}
	}
}

func TestTTLRule(t *testing.T) {
	clk := &fakeClock{t: day4}
	d := newDatasource(testSettings(t, &testdb.DB{Name: "x", URL: "postgres://u@127.0.0.1:1/x"}, "u", nil, nil), nil, options{now: clk.Now, noPrewarm: true})
	if p := d.policy(day4.Add(-30 * time.Minute)); p.TTL != time.Minute || p.Grace != time.Minute {
		t.Errorf("live policy %+v", p)
	}
	if p := d.policy(day4.Add(-2 * time.Hour)); p.TTL != time.Hour {
		t.Errorf("historic policy %+v", p)
	}
}

// TestNormalizeStep: time series align to their bucket step, and the step is stable on the
// normalized range (so sub-range loads use the same buckets), also when alignment widens a range
// past the 2-day limit of fine conferenceStatus steps.
func TestNormalizeStep(t *testing.T) {
	h := time.Hour
	for _, tc := range []struct {
		q            query.Query
		step         time.Duration
		wantFrom, to time.Time
	}{
		{query.Query{QueryType: query.TypeConferenceStatus, From: day1.Add(95 * time.Minute), To: day1.Add(47*h - time.Minute), Interval: 30 * time.Minute},
			30 * time.Minute, day1.Add(90 * time.Minute), day1.Add(47 * h)},
		{query.Query{QueryType: query.TypeConferenceStatus, From: day1.Add(10 * time.Minute), To: day1.Add(48*h + 5*time.Minute), Interval: h},
			24 * h, day1, day1.Add(72 * h)},
		{query.Query{QueryType: query.TypeTimeseries, Metric: "conferences", From: day1.Add(7 * time.Minute), To: day4.Add(-time.Second), Interval: 2 * time.Minute},
			5 * time.Minute, day1.Add(5 * time.Minute), day4},
		{query.Query{QueryType: query.TypeOverview, From: day1.Add(59 * time.Second), To: day4.Add(time.Second), Interval: h},
			0, day1, day4.Add(time.Minute)},
	} {
		p := normalize(tc.q)
		if p.step != tc.step || !p.q.From.Equal(tc.wantFrom) || !p.q.To.Equal(tc.to) {
			t.Errorf("%s %v–%v: plan %v %v–%v, want %v %v–%v", tc.q.QueryType, tc.q.From, tc.q.To, p.step, p.q.From, p.q.To, tc.step, tc.wantFrom, tc.to)
		}
		if f := bucketSteps[tc.q.QueryType]; f != nil && f(p.q) != p.step {
			t.Errorf("%s: step not stable on the normalized range: %v vs %v", tc.q.QueryType, f(p.q), p.step)
		}
	}
}

func statusValues(t *testing.T, fs data.Frames) map[string][]float64 {
	t.Helper()
	out := map[string][]float64{}
	for _, f := range fs {
		for _, fld := range f.Fields {
			key := fieldKey(fld)
			for i := 0; i < fld.Len(); i++ {
				v, ok := fld.ConcreteAt(i)
				x := math.NaN()
				if ok {
					switch y := v.(type) {
					case int64:
						x = float64(y)
					case float64:
						x = y
					case time.Time:
						x = float64(y.Unix())
					}
				}
				out[key] = append(out[key], x)
			}
		}
	}
	return out
}

func sameValues(t *testing.T, what string, got, want map[string][]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: fields %v, want %v", what, keysOf(got), keysOf(want))
	}
	for k, w := range want {
		g := got[k]
		if len(g) != len(w) {
			t.Errorf("%s: %s has %d rows, want %d", what, k, len(g), len(w))
			continue
		}
		for i := range w {
			if !(g[i] == w[i] || (math.IsNaN(g[i]) && math.IsNaN(w[i]))) {
				t.Errorf("%s: %s[%d] = %v, want %v", what, k, i, g[i], w[i])
			}
		}
	}
}

func keysOf(m map[string][]float64) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	return out
}

// direct runs a query on the store without any cache, on the normalized range.
func direct(t *testing.T, d *Datasource, q query.Query) data.Frames {
	t.Helper()
	pool, err := d.db()
	if err != nil {
		t.Fatal(err)
	}
	st := store.New(pool, store.Scope{AppIDs: d.settings.AppIDs, OrganizationID: d.settings.OrganizationID}, d.settings.Thresholds)
	fs, err := st.Run(context.Background(), normalize(q).q)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// TestBucketsRecomputeOnlyNewest: with the clock moved on by less than a bucket, a time-series load
// sends PostgreSQL one statement for only the newest buckets (checked on its time arguments), and
// the merged answer equals an uncached run. An expired whole-range entry is served stale and its
// background refresh again computes only the bucket that can still change.
func TestBucketsRecomputeOnlyNewest(t *testing.T) {
	db := fixtureDB(t)
	for _, tc := range []struct{ name, body string }{
		{"conferenceStatus", `{"queryType":"conferenceStatus"}`},
		{"timeseries", `{"queryType":"timeseries","metric":"sessions","groupBy":"browser"}`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			clk := &fakeClock{}
			d, c := newTestDS(t, db, uniqueUID(t), nil, clk)
			h := time.Hour
			t0 := time.Date(2026, 11, 2, 16, 30, 0, 0, time.UTC)
			load := func(now time.Time) (data.Frames, string) {
				clk.Set(now)
				return runOne(t, d, dq("A", tc.body, now.Add(-6*h), now, h))
			}
			// Load 1 at 16:30: range 10:30–16:30 → buckets 10:00 … 16:00, computed in one statement.
			fs, st := load(t0)
			if st != "miss" || c.count() != 1 {
				t.Fatalf("load 1: %s, %d statements", st, c.count())
			}
			if a := c.last().timeArgs(); !a[0].Equal(t0.Add(-6*h-30*time.Minute)) || !a[len(a)-1].Equal(t0.Add(30*time.Minute)) {
				t.Errorf("load 1 ran on %v", a)
			}
			q1, _ := query.Parse(dq("A", tc.body, t0.Add(-6*h), t0, h))
			sameValues(t, "load 1", statusValues(t, fs), statusValues(t, direct(t, d, q1)))

			// Load 2 at 17:10 (40 min later): range 11:10–17:10 → 11:00 … 17:00. Buckets up to 15:00
			// were complete at 16:30 and are cached; 16:00 (incomplete then) and 17:00 are computed.
			t1 := t0.Add(40 * time.Minute)
			fs, st = load(t1)
			if st != "miss" || c.count() != 2 {
				for _, call := range c.calls {
					t.Logf("statement on %v", call.timeArgs())
				}
				t.Fatalf("load 2: %s, %d statements", st, c.count())
			}
			a := c.last().timeArgs()
			if !a[0].Equal(time.Date(2026, 11, 2, 16, 0, 0, 0, time.UTC)) || !a[len(a)-1].Equal(time.Date(2026, 11, 2, 18, 0, 0, 0, time.UTC)) {
				t.Errorf("load 2 recomputed %v, want only 16:00–18:00", a)
			}
			q2, _ := query.Parse(dq("A", tc.body, t1.Add(-6*h), t1, h))
			want := statusValues(t, direct(t, d, q2))
			sameValues(t, "load 2 (merged)", statusValues(t, fs), want)

			// Load 3 at 17:11:30: same normalized range, whole-range entry expired (live TTL 60 s, grace
			// 60 s) → stale now, refreshed in the background from 17:00 only (16:00 is cached).
			t2 := t1.Add(90 * time.Second)
			fs, st = load(t2)
			if st != "stale" {
				t.Fatalf("load 3: %s, want stale", st)
			}
			sameValues(t, "load 3 (stale)", statusValues(t, fs), want)
			deadline := time.Now().Add(5 * time.Second)
			for c.count() < 3 && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if c.count() != 3 {
				t.Fatalf("background refresh sent %d statements", c.count()-2)
			}
			a = c.last().timeArgs()
			if !a[0].Equal(time.Date(2026, 11, 2, 17, 0, 0, 0, time.UTC)) || !a[len(a)-1].Equal(time.Date(2026, 11, 2, 18, 0, 0, 0, time.UTC)) {
				t.Errorf("refresh recomputed %v, want 17:00–18:00", a)
			}
			time.Sleep(50 * time.Millisecond)
			fs, st = load(t2)
			if st != "hit" || c.count() != 3 {
				t.Errorf("load 4: %s, %d statements", st, c.count())
			}
			sameValues(t, "load 4", statusValues(t, fs), want)
			if tc.name == "conferenceStatus" {
				// The hidden link fields still describe each row's own bucket.
				bs, _ := fs[0].FieldByName("bucketStart")
				be, _ := fs[0].FieldByName("bucketEnd")
				for i := 0; i < fs[0].Rows(); i++ {
					tm := fs[0].Fields[0].At(i).(time.Time)
					if int64(bs.At(i).(float64)) != tm.UnixMilli() || int64(be.At(i).(float64)) != tm.Add(h).UnixMilli() {
						t.Errorf("row %d: bucketStart/End %v/%v for %v", i, bs.At(i), be.At(i), tm)
					}
				}
			}
		})
	}
}

// TestMergeFillsMissingSeries: a series present in some pieces only is 0 where it counts and null
// where it is a percentile; fields keep their labels and config.
func TestMergeFillsMissingSeries(t *testing.T) {
	t0 := day1
	p1 := data.Frames{data.NewFrame("s", data.NewField("time", nil, []time.Time{t0}),
		data.NewField("v", data.Labels{"browser": "Chrome"}, []*float64{ptr(1.0)}))}
	p2 := data.Frames{data.NewFrame("s", data.NewField("time", nil, []time.Time{t0.Add(time.Hour)}),
		data.NewField("v", data.Labels{"browser": "Chrome"}, []*float64{ptr(2.0)}),
		data.NewField("v", data.Labels{"browser": "Firefox"}, []*float64{ptr(3.0)}))}
	p2[0].Fields[2].Config = &data.FieldConfig{Unit: "none"}
	got := mergeFrames([]data.Frames{p1, p2}, 1, func(*data.Field) bool { return true })
	ff := got[0].Fields[2]
	if got[0].Rows() != 2 || ff.Labels["browser"] != "Firefox" || ff.Config.Unit != "none" || *ff.At(0).(*float64) != 0 {
		t.Errorf("count merge: %v", got[0].Fields)
	}
	got = mergeFrames([]data.Frames{p1, p2}, 1, func(*data.Field) bool { return false })
	if got[0].Fields[2].At(0).(*float64) != nil {
		t.Error("percentile merge filled a zero")
	}
}

func ptr[T any](v T) *T { return &v }

// TestStampedeTwoReplicas: two data source instances (two Grafana replicas: separate in-process
// caches and flights) share one Redis, or a 3-node Redis Cluster. 50 concurrent identical cold
// requests split across both send one statement to PostgreSQL per key; a replica's first load of a
// key the other one computed is a hit.
func TestStampedeTwoReplicas(t *testing.T) {
	db := fixtureDB(t)
	for _, tc := range []struct {
		name  string
		addrs func(t *testing.T) []string
	}{
		{"single", func(t *testing.T) []string { return []string{testdb.RequireRedis(t)} }},
		{"cluster", func(t *testing.T) []string { return startCluster(t) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			addrs := tc.addrs(t)
			uid := uniqueUID(t)
			clk := &fakeClock{t: day4.Add(72 * time.Hour)}
			a, ca := newTestDS(t, db, uid, addrs, clk)
			b, cb := newTestDS(t, db, uid, addrs, clk)
			ca.setDelay(150 * time.Millisecond)
			cb.setDelay(150 * time.Millisecond)
			bodies := []string{`{"queryType":"overview"}`, `{"queryType":"conferenceStatus"}`, `{"queryType":"issueSummary"}`}
			var wg sync.WaitGroup
			for i := range 50 {
				wg.Add(1)
				go func() {
					defer wg.Done()
					d := a
					if i%2 == 1 {
						d = b
					}
					runOne(t, d, dq(fmt.Sprint("R", i), bodies[i%len(bodies)], day1, day4, time.Hour))
				}()
			}
			wg.Wait()
			// One statement per key, and the overview's shared setup-time statement.
			if n := ca.count() + cb.count(); n != len(bodies)+1 {
				t.Errorf("%d statements for %d keys across two replicas", n, len(bodies)+1)
			}
			before := ca.count() + cb.count()
			body := `{"queryType":"overview","filters":{"browser":["Chrome"]}}`
			if _, st := runOne(t, a, dq("A", body, day1, day4, time.Hour)); st != "miss" {
				t.Errorf("replica A: %s", st)
			}
			if _, st := runOne(t, b, dq("A", body, day1, day4, time.Hour)); st != "hit" {
				t.Errorf("replica B's first load: %s, want hit", st)
			}
			if n := ca.count() + cb.count() - before; n != 2 {
				t.Errorf("%d statements, want 2 (the overview and its setup times)", n)
			}
		})
	}
}

// TestRedisOutage: Redis killed mid-run → the same answers from PostgreSQL, quickly; Redis back on
// the same port → hits again without restarting the data source.
func TestRedisOutage(t *testing.T) {
	db := fixtureDB(t)
	r := testdb.StartRedis(t)
	clk := &fakeClock{t: day4.Add(72 * time.Hour)}
	d, c := newTestDS(t, db, uniqueUID(t), []string{r.Addr()}, clk)
	q := dq("A", `{"queryType":"overview"}`, day1, day4, time.Hour)
	want, _ := runOne(t, d, q)
	if _, st := runOne(t, d, q); st != "hit" {
		t.Fatalf("before the outage: %s", st)
	}
	r.Kill()
	n := c.count()
	for i := range 5 {
		start := time.Now()
		fs, st := runOne(t, d, q)
		if st != "miss" {
			t.Errorf("during the outage: %s", st)
		}
		sameValues(t, fmt.Sprint("outage load ", i), statusValues(t, fs), statusValues(t, want))
		if el := time.Since(start); el > 3*time.Second {
			t.Errorf("a load with Redis down took %s", el)
		}
	}
	// Two statements per load: the overview's own and the setup times it shares.
	if c.count()-n != 10 {
		t.Errorf("%d statements during the outage, want 10", c.count()-n)
	}
	r.Start(t)
	deadline := time.Now().Add(15 * time.Second)
	for {
		_, st := runOne(t, d, q)
		if st == "hit" {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("no hit after Redis came back")
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// TestPrewarm: a cycle warms the overview queries so the dashboard's first load is a hit; with
// Redis a second replica's cycle in the same interval is skipped; cycles never overlap; Dispose
// stops the loop.
func TestPrewarm(t *testing.T) {
	db := fixtureDB(t)
	now := day4.Add(2 * time.Hour)
	clk := &fakeClock{t: now}
	t.Run("memory", func(t *testing.T) {
		d, c := newTestDS(t, db, uniqueUID(t), nil, clk)
		w := newPrewarmer(d)
		if res, err := w.runOnce(context.Background()); (res != "ok" && res != "partial") || err != nil {
			t.Fatalf("cycle: %s %v", res, err)
		}
		n := c.count()
		if n == 0 {
			t.Fatal("cycle sent nothing")
		}
		for _, body := range []string{`{"queryType":"overview"}`, `{"queryType":"conferenceStatus"}`} {
			if _, st := runOne(t, d, dq("A", body, now.Add(-7*24*time.Hour), now, 7*24*time.Hour/prewarmMaxDataPoints)); st != "hit" {
				t.Errorf("%s after pre-warming: %s", body, st)
			}
		}
		if c.count() != n {
			t.Errorf("dashboard load after pre-warming sent %d statements", c.count()-n)
		}
		// Never two cycles at once.
		c.setDelay(30 * time.Millisecond)
		clk.Set(now.Add(time.Hour))
		done := make(chan string)
		go func() { res, _ := w.runOnce(context.Background()); done <- res }()
		time.Sleep(10 * time.Millisecond)
		if res, err := w.runOnce(context.Background()); res != "busy" || err == nil {
			t.Errorf("overlapping cycle: %s", res)
		}
		<-done
		clk.Set(now)
	})
	t.Run("redis", func(t *testing.T) {
		addr := testdb.RequireRedis(t)
		uid := uniqueUID(t)
		a, _ := newTestDS(t, db, uid, []string{addr}, clk)
		b, cb := newTestDS(t, db, uid, []string{addr}, clk)
		if res, err := newPrewarmer(a).runOnce(context.Background()); (res != "ok" && res != "partial") || err != nil {
			t.Fatalf("replica A: %s %v", res, err)
		}
		if res, _ := newPrewarmer(b).runOnce(context.Background()); res != "skipped" {
			t.Errorf("replica B in the same interval: %s, want skipped", res)
		}
		if _, st := runOne(t, b, dq("A", `{"queryType":"overview"}`, now.Add(-24*time.Hour), now, time.Minute)); st != "hit" || cb.count() != 0 {
			t.Errorf("replica B's dashboard load: %s with %d statements", st, cb.count())
		}
	})
	t.Run("dispose", func(t *testing.T) {
		s := testSettings(t, db, uniqueUID(t), nil, map[string]any{"prewarm": true, "prewarmIntervalSeconds": 5})
		d := newDatasource(s, nil, options{now: clk.Now})
		if d.prewarm == nil {
			t.Fatal("pre-warming not started")
		}
		time.Sleep(3500 * time.Millisecond) // the first cycle starts after 1–3 s
		done := make(chan struct{})
		go func() { d.Dispose(); close(done) }()
		select {
		case <-done:
		case <-time.After(10 * time.Second):
			t.Fatal("Dispose did not stop pre-warming")
		}
		select {
		case <-d.prewarm.done:
		default:
			t.Error("pre-warm goroutine still running after Dispose")
		}
	})
}

// TestMetricsExposed: the SPEC §5 metrics are on the default registry the SDK serves.
func TestMetricsExposed(t *testing.T) {
	db := fixtureDB(t)
	d, _ := newTestDS(t, db, uniqueUID(t), nil, &fakeClock{t: day4.Add(72 * time.Hour)})
	q := dq("A", `{"queryType":"overview"}`, day1, day4, time.Hour)
	runOne(t, d, q)
	runOne(t, d, q)
	metricPrewarmRuns.WithLabelValues("ok").Add(0)
	mfs, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]bool{}
	for _, mf := range mfs {
		have[mf.GetName()] = true
	}
	for _, n := range []string{"peermetrics_cache_hits_total", "peermetrics_cache_misses_total", "peermetrics_query_duration_seconds",
		"peermetrics_prewarm_runs_total"} {
		if !have[n] {
			t.Errorf("metric %s not exposed", n)
		}
	}
	// Many instances do not register twice.
	for range 3 {
		newDatasource(testSettings(t, db, "x", nil, nil), nil, options{noPrewarm: true}).Dispose()
	}
}
