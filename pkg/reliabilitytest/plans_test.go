package reliabilitytest

import (
	"context"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/store"
)

// TestRepeatedStatementsKeepCustomPlans: pgx prepares each statement once per connection, and
// PostgreSQL may plan a prepared statement generically (without the range's values) from its sixth
// execution on, which made the summaries up to 2.5x slower. Through a one-connection pool built from
// settings.PoolConfig, the same query run eight times must have been planned with its values every
// time, as pg_prepared_statements counts on that connection.
func TestRepeatedStatementsKeepCustomPlans(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	pool, cfg := settingsPool(ctx, t, "", 1)
	st := store.New(pool, store.Scope{}, cfg.Thresholds)
	end := time.Date(2026, 11, 24, 0, 0, 0, 0, time.UTC)
	const runs = 8
	for i := range runs {
		// A range that moves, as pre-warming and dashboard refreshes move it.
		to := end.Add(-time.Duration(i) * time.Hour)
		q, err := query.Parse(backend.DataQuery{RefID: "A", JSON: []byte(`{"queryType":"conferenceStatus"}`),
			TimeRange: backend.TimeRange{From: to.Add(-7 * 24 * time.Hour), To: to}, Interval: time.Minute})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Run(ctx, q); err != nil {
			t.Fatal(err)
		}
	}
	var generic, custom int64
	if err := pool.QueryRow(ctx, `SELECT generic_plans, custom_plans FROM pg_prepared_statements
		WHERE statement LIKE '%FROM conf GROUP BY 1 ORDER BY 1'`).Scan(&generic, &custom); err != nil {
		t.Fatalf("the conferenceStatus statement is not among the connection's prepared statements: %v", err)
	}
	if generic != 0 || custom != runs {
		t.Errorf("%d generic and %d custom plans for %d executions, want 0 and %d", generic, custom, runs, runs)
	}
}
