package plugin

import (
	"context"
	"fmt"
	"os"
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
	if os.Getenv("PM_BENCH") != "1" {
		b.Skip("set PM_BENCH=1 to run the query benchmark")
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
	ctx := context.Background()
	db := testdb.New(b)
	if _, err := seed.GenerateURL(ctx, db.URL, cfg); err != nil {
		b.Fatal(err)
	}
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
