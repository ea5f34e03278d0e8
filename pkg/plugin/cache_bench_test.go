package plugin

import (
	"context"
	"fmt"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peermetrics/grafana-datasource/pkg/seed"
	"github.com/peermetrics/grafana-datasource/pkg/store"
	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

// benchBodies are the aggregate queries of the benchmark (detail queries need ids).
var benchBodies = []string{
	`{"queryType":"overview"}`,
	`{"queryType":"conferenceStatus"}`,
	`{"queryType":"timeseries","metric":"conferences","groupBy":"browser"}`,
	`{"queryType":"issueSummary"}`,
	`{"queryType":"gumErrors"}`,
	`{"queryType":"durationHistogram"}`,
	`{"queryType":"participantHistogram"}`,
	`{"queryType":"setupTimeHistogram"}`,
	`{"queryType":"connectionTypes"}`,
	`{"queryType":"breakdown","groupBy":"browser"}`,
	`{"queryType":"conferences"}`,
	`{"queryType":"quality"}`,
	`{"queryType":"funnel"}`,
	`{"queryType":"annotations"}`,
	`{"queryType":"variable","variable":"browsers"}`,
}

// BenchmarkQueryTypes measures each query type cold (a new data source uid per iteration, so every
// load misses and runs in PostgreSQL) and warm (a hit on the in-process cache), over the whole range
// of a generated database. Set PM_BENCH=1; PM_BENCH_PROFILE picks the seed profile (tiny by
// default; demo and seed30 are larger). Example:
//
//	PM_BENCH=1 PM_BENCH_PROFILE=demo go test -run '^$' -bench BenchmarkQueryTypes -benchtime 5x ./pkg/plugin/
func BenchmarkQueryTypes(b *testing.B) {
	db, cfg := benchSeed(b)
	from, to := cfg.End.Add(-time.Duration(cfg.Days)*24*time.Hour), cfg.End
	now := func() time.Time { return to.Add(2 * time.Hour) }
	mk := func(uid string) *Datasource {
		s := testSettings(b, db, uid, nil, map[string]any{"appIds": []string{}})
		return newDatasource(s, nil, options{now: now, noPrewarm: true})
	}
	for _, body := range benchBodies {
		q := dq("A", body, from, to, time.Hour)
		if !store.Supports(q.QueryType) {
			continue
		}
		name := q.QueryType
		if q.QueryType == "timeseries" || q.QueryType == "breakdown" {
			name += "_byBrowser"
		}
		b.Run(name+"/cold", func(b *testing.B) {
			for i := 0; b.Loop(); i++ {
				d := mk(fmt.Sprint("bench-cold-", i, "-", time.Now().UnixNano()))
				if _, st := runOne(b, d, q); st != "miss" {
					b.Fatalf("cold load was %s", st)
				}
				d.Dispose()
			}
		})
		b.Run(name+"/warm", func(b *testing.B) {
			d := mk("bench-warm")
			defer d.Dispose()
			runOne(b, d, q)
			for b.Loop() {
				if _, st := runOne(b, d, q); st != "hit" {
					b.Fatalf("warm load was %s", st)
				}
			}
		})
	}
}

// benchSeed generates the database of the PM_BENCH_PROFILE seed profile (tiny by default) for a
// benchmark, which runs only with PM_BENCH=1.
func benchSeed(b *testing.B) (*testdb.DB, seed.Config) {
	if os.Getenv("PM_BENCH") != "1" {
		b.Skip("set PM_BENCH=1 to run the query benchmarks")
	}
	profile := os.Getenv("PM_BENCH_PROFILE")
	if profile == "" {
		profile = "tiny"
	}
	cfg, ok := seed.Profiles[profile]
	if !ok {
		b.Fatalf("unknown seed profile %q", profile)
	}
	if cfg.End.IsZero() {
		cfg.End = time.Now().UTC().Truncate(time.Hour)
	}
	db := testdb.New(b)
	if _, err := seed.GenerateURL(context.Background(), db.URL, cfg); err != nil {
		b.Fatal(err)
	}
	return db, cfg
}

// BenchmarkBucketedRefresh measures what a dashboard refreshing every minute costs per bucketed panel:
// the last day at 1-minute steps (1,440 buckets), each iteration one minute later than the last, so
// that the whole-range entry misses, 1,439 buckets come from the cache (in-process here) and one is
// computed. The first, cold load runs before the timer. Example:
//
//	PM_BENCH=1 PM_BENCH_PROFILE=demo go test -run '^$' -bench BenchmarkBucketedRefresh -benchtime 20x ./pkg/plugin/
func BenchmarkBucketedRefresh(b *testing.B) {
	db, cfg := benchSeed(b)
	for _, body := range []string{
		`{"queryType":"conferenceStatus"}`,
		`{"queryType":"timeseries","metric":"sessions","groupBy":"country"}`,
	} {
		b.Run(body, func(b *testing.B) {
			end := cfg.End.Add(-12 * time.Hour) // buckets on both sides hold data
			var clock atomic.Int64
			clock.Store(end.Add(10 * time.Minute).UnixNano())
			s := testSettings(b, db, fmt.Sprint("bench-refresh-", time.Now().UnixNano()), nil, map[string]any{"appIds": []string{}})
			d := newDatasource(s, nil, options{now: func() time.Time { return time.Unix(0, clock.Load()) }, noPrewarm: true})
			defer d.Dispose()
			load := func(to time.Time) {
				clock.Store(to.Add(10 * time.Minute).UnixNano())
				if _, st := runOne(b, d, dq("A", body, to.Add(-24*time.Hour), to, time.Minute)); st != "miss" {
					b.Fatalf("load was %s, want a miss of the whole range", st)
				}
			}
			load(end)
			for i := 1; b.Loop(); i++ {
				load(end.Add(time.Duration(i) * time.Minute))
			}
		})
	}
}
