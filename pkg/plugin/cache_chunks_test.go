package plugin

import (
	"context"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/seed"
	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

// TestQualityRunsInDayChunks: fleet quality over three days runs as three day-long statements
// whose merged buckets equal one statement over the whole range; a chunk that fails fails the
// query, but the days that finished stay cached, so the next load runs only the failed day.
func TestQualityRunsInDayChunks(t *testing.T) {
	db := testdb.New(t)
	if _, err := seed.GenerateURL(context.Background(), db.URL, seed.Profiles["tiny"]); err != nil {
		t.Fatal(err)
	}
	from, to := seed.TinyEnd.Add(-3*24*time.Hour), seed.TinyEnd
	clk := &fakeClock{}
	clk.Set(to.Add(24 * time.Hour)) // every bucket complete
	for _, body := range []string{`{"queryType":"quality"}`, `{"queryType":"timeseries","metric":"rttP95Ms"}`} {
		t.Run(body, func(t *testing.T) {
			c := &countingDB{}
			d := newDatasource(testSettings(t, db, uniqueUID(t), nil, map[string]any{"appIds": []string{}, "queryTimeoutSeconds": 120}),
				nil, options{wrapDB: c.wrap, noPrewarm: true, now: clk.Now})
			t.Cleanup(d.Dispose)
			q, err := query.Parse(dq("A", body, from, to, time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			want := statusValues(t, direct(t, d, normalize(q).q))
			if len(want) == 0 || countNonNull(want) == 0 {
				t.Fatalf("the tiny profile has no quality samples in the range: %v", want)
			}

			// One chunk (the middle day) fails: the query fails, the other two days are cached.
			day2End := from.Add(48 * time.Hour)
			c.mu.Lock()
			c.failIf = func(call dbCall) bool { return slices.MaxFunc(call.timeArgs(), time.Time.Compare).Equal(day2End) }
			c.mu.Unlock()
			resp := runResponse(t, d, dq("A", body, from, to, time.Hour))
			if resp.Error == nil || !strings.Contains(resp.Error.Error(), errInjected.Error()) {
				t.Fatalf("load with a failing day: error %v", resp.Error)
			}
			if c.count() != 3 {
				t.Fatalf("load 1 sent %d statements, want 3 (one per day)", c.count())
			}
			for _, call := range c.calls {
				ta := call.timeArgs()
				if span := slices.MaxFunc(ta, time.Time.Compare).Sub(slices.MinFunc(ta, time.Time.Compare)); span > 48*time.Hour {
					t.Errorf("a chunk's statement spans %v (with its 1-day lookback), want ≤ 48h", span)
				}
			}

			c.mu.Lock()
			c.failIf = nil
			c.mu.Unlock()
			fs, st := runOne(t, d, dq("A", body, from, to, time.Hour))
			if st != "miss" || c.count() != 4 {
				t.Fatalf("load 2: %s, %d statements in all, want 4 (only the failed day again)", st, c.count())
			}
			if got := slices.MaxFunc(c.last().timeArgs(), time.Time.Compare); !got.Equal(day2End) {
				t.Errorf("load 2 recomputed the chunk ending %v, want %v", got, day2End)
			}
			sameValues(t, "chunked quality", statusValues(t, fs), want)
		})
	}
}

// countNonNull counts the values that are not null, the time field aside.
func countNonNull(vs map[string][]float64) int {
	n := 0
	for k, v := range vs {
		if k == "time" {
			continue
		}
		for _, x := range v {
			if !math.IsNaN(x) {
				n++
			}
		}
	}
	return n
}

func runResponse(t *testing.T, d *Datasource, q backend.DataQuery) backend.DataResponse {
	t.Helper()
	resp, err := d.QueryData(context.Background(), &backend.QueryDataRequest{Queries: []backend.DataQuery{q}})
	if err != nil {
		t.Fatal(err)
	}
	return resp.Responses[q.RefID]
}

// TestQualityPanelsShareOneStatement: the quality panel, the four quality time series and the
// overview's mosP50 of a dashboard (same filters, range and interval) read their samples from one
// statement per day, not one per panel and day, and each answers what it answers alone (a store
// without sharing).
func TestQualityPanelsShareOneStatement(t *testing.T) {
	db := testdb.New(t)
	if _, err := seed.GenerateURL(context.Background(), db.URL, seed.Profiles["tiny"]); err != nil {
		t.Fatal(err)
	}
	// The range starts at 06:00: the first day's chunk is [06:00, 24:00), the others whole UTC days,
	// the same pieces the overview's mosP50 cuts its range into.
	from, to := seed.TinyEnd.Add(-3*24*time.Hour+6*time.Hour), seed.TinyEnd
	clk := &fakeClock{}
	clk.Set(to.Add(24 * time.Hour))
	c := &countingDB{}
	d := newDatasource(testSettings(t, db, uniqueUID(t), nil, map[string]any{"appIds": []string{}, "queryTimeoutSeconds": 120}),
		nil, options{wrapDB: c.wrap, noPrewarm: true, now: clk.Now})
	t.Cleanup(d.Dispose)
	bodies := []string{`{"queryType":"quality"}`, `{"queryType":"timeseries","metric":"mosP50"}`,
		`{"queryType":"timeseries","metric":"lossP95Pct"}`, `{"queryType":"timeseries","metric":"rttP95Ms"}`,
		`{"queryType":"timeseries","metric":"jitterP95Ms"}`, `{"queryType":"overview","metric":"mosP50"}`}
	var qs []backend.DataQuery
	want := map[string]map[string][]float64{}
	for i, body := range bodies {
		q := dq(string(rune('A'+i)), body, from, to, time.Hour)
		qs = append(qs, q)
		pq, err := query.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		want[q.RefID] = statusValues(t, direct(t, d, normalize(pq).q)) // its own statement, no sharing
		if countNonNull(want[q.RefID]) == 0 {
			t.Fatalf("%s: no quality value in the range", body)
		}
	}
	resp, err := d.QueryData(context.Background(), reqOf(qs...))
	if err != nil {
		t.Fatal(err)
	}
	if c.count() != 3 {
		t.Errorf("six quality panels over three days sent %d statements, want 3 (one per day)", c.count())
	}
	for _, call := range c.calls {
		if end := slices.MaxFunc(call.timeArgs(), time.Time.Compare); !end.Equal(end.Truncate(24 * time.Hour)) {
			t.Errorf("a day statement ends at %v, not at a UTC midnight", end)
		}
	}
	for i, q := range qs {
		r := resp.Responses[q.RefID]
		if r.Error != nil {
			t.Fatalf("%s: %v", bodies[i], r.Error)
		}
		sameValues(t, bodies[i], statusValues(t, r.Frames), want[q.RefID])
	}
}
