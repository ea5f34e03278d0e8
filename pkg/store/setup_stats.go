package store

import (
	"context"
	"math"
	"slices"
	"sort"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// setupStats is the setup-time distribution of the connections a query counts (definitions in
// duration_histogram.go and overview.go): the exact p50 and p95 (as percentile_cont) and the counts
// of the SetupBounds buckets. The overview's setup numbers and setupTimeHistogram read it from one
// shared statement (Store.Share), as a dashboard shows both. The statement returns each connected
// first negotiation's two timestamps as text and the plugin validates, subtracts and counts them
// (isoMicros): validating them in PostgreSQL took two regular expressions per connection, ~60 % of
// the statement (seed30, 30 days: 1.84 s → 0.72 s; 7 days: 626 → 210 ms; BENCHMARKS.md).
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
	// Connections without a connected first negotiation come back as NULLs and are skipped here: a
	// WHERE on the two CASEs is estimated at one row and turned the inlined set's hash joins into
	// nested loops (7 days of seed7: 570 ms).
	sql := b.entityCTEs(q, s.scope, need{conn: true, setupText: true, connOnce: true}) + `
SELECT setup_start, setup_end FROM conn`
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return setupStats{}, err
	}
	defer rows.Close()
	var ms []float64
	var start, end pgtype.Text
	for rows.Next() {
		if err := rows.Scan(&start, &end); err != nil {
			return setupStats{}, err
		}
		if !start.Valid || !end.Valid {
			continue
		}
		// Exactly setupMs: both times valid (isoTS), end - start in ms, negative ones left out.
		t0, ok0 := isoMicros(start.String)
		t1, ok1 := isoMicros(end.String)
		if ok0 && ok1 && t1 >= t0 {
			ms = append(ms, float64(t1-t0)/1000)
		}
	}
	if err := rows.Err(); err != nil {
		return setupStats{}, err
	}
	st := setupStats{Buckets: make([]int64, len(SetupBounds)+1), Executed: frames.Executed(sql, b.args)}
	for _, v := range ms {
		// width_bucket: the number of lower bounds at or below v.
		st.Buckets[sort.Search(len(SetupBounds), func(i int) bool { return float64(SetupBounds[i]) > v })]++
	}
	if len(ms) > 0 {
		slices.Sort(ms)
		p50, p95 := percentileCont(ms, 0.5), percentileCont(ms, 0.95)
		st.P50, st.P95 = &p50, &p95
	}
	return st, nil
}

// percentileCont is PostgreSQL's percentile_cont over sorted values: linear interpolation between
// the two nearest ranks, computed as float8_lerp does.
func percentileCont(sorted []float64, p float64) float64 {
	pos := p * float64(len(sorted)-1)
	lo := math.Floor(pos)
	i := int(lo)
	if i+1 >= len(sorted) {
		return sorted[i]
	}
	return sorted[i] + (sorted[i+1]-sorted[i])*(pos-lo)
}
