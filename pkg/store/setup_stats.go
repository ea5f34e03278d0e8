package store

import (
	"context"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// setupStats is the setup-time distribution of the connections a query counts (definitions in
// duration_histogram.go and overview.go): the exact p50 and p95 (percentile_cont) and the counts of
// the SetupBounds buckets. The overview's setup numbers and setupTimeHistogram read it from one
// shared statement (Store.Share): reading the first negotiation of every connection's JSON is the
// most expensive part of both (about 1 s for 390k connections), and a dashboard shows both.
type setupStats struct {
	P50, P95 *float64
	Buckets  []int64 // len(SetupBounds)+1
	Executed string
}

func (s *Store) setupStats(ctx context.Context, q query.Query) (setupStats, error) {
	shared := q
	shared.QueryType, shared.GroupBy, shared.Metric, shared.Limit, shared.Offset = query.TypeSetupTimeHistogram, "", "", 0, 0
	return shareJSON(ctx, s, "setupStats", shared, func(ctx context.Context) (setupStats, error) { return s.setupStatsSQL(ctx, shared) })
}

func (s *Store) setupStatsSQL(ctx context.Context, q query.Query) (setupStats, error) {
	b := &sqlb{}
	sql := b.entityCTEs(q, s.scope, need{conn: true, setup: true}) + `,
su AS MATERIALIZED (SELECT setup_ms AS ms FROM conn WHERE setup_ms >= 0)
SELECT width_bucket(ms, ` + arrayLit(SetupBounds) + `::float8[]), count(*), NULL::float8, NULL::float8 FROM su GROUP BY 1
UNION ALL
SELECT -1, count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) FROM su`
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return setupStats{}, err
	}
	defer rows.Close()
	st := setupStats{Buckets: make([]int64, len(SetupBounds)+1)}
	for rows.Next() {
		var i int
		var n int64
		var p50, p95 *float64
		if err := rows.Scan(&i, &n, &p50, &p95); err != nil {
			return setupStats{}, err
		}
		switch {
		case i < 0:
			st.P50, st.P95 = p50, p95
		case i <= len(SetupBounds):
			st.Buckets[i] = n
		}
	}
	if err := rows.Err(); err != nil {
		return setupStats{}, err
	}
	st.Executed = frames.Executed(sql, b.args)
	return st, nil
}
