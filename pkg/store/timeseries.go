package store

import (
	"context"
	"fmt"
	"sort"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// Time series definitions (SPEC §3). Each metric counts one kind of entity in the bucket of its own
// created_at (UTC, half-open):
//   - conferences, sessions, connections, issues: how many were created.
//   - participants: distinct active non-SFU participants among the sessions created.
//   - minutes: sum of the durations of the sessions created, / 60 (participant-minutes).
//   - failedConnections: connections created whose state is failed, or that an active connection_failed
//     or ice_failed issue names (issue.connection_id). An ice_failed issue without a connection does not
//     mark any connection: which of the session's connections failed is unknown.
//   - relayedConnections: connections created of type relay (r).
//   - gumErrors: active getusermedia_error issues created, whatever the shape of their data (legacy rows
//     are still errors; only the gumErrors table needs a name and skips them).
//   - setupP50Ms/setupP95Ms: exact percentile_cont of the Peermetrics setup time (setupMs) of the
//     connections created; null in a bucket without any.
//   - mosP50, lossP95Pct, rttP95Ms, jitterP95Ms: fleet quality (quality.go), exact percentile_cont
//     over the inbound audio samples timed in the bucket (not by the entity's created_at: a sample
//     counts where it was taken); null in a bucket without any. See runQualityTimeseries.
//
// Buckets: TimeseriesStep, aligned to the Unix epoch (date_bin), every bucket of the range present,
// zeros for counts and minutes, null for percentiles. With groupBy the frame stays one wide frame:
// one numeric field per group value carrying the label {groupBy: value} (and {country: …} for city),
// so Grafana alerting sees one series per label set.

// TimeseriesSteps are the bucket steps a time series may use: they divide a day, or are 1 or 7 days.
var TimeseriesSteps = []time.Duration{time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
	30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour, day, 7 * day}

// MaxTimeseriesBuckets bounds the number of buckets per series; a coarser step is chosen beyond it.
const MaxTimeseriesBuckets = 5000

// TimeseriesStep is the smallest step of TimeseriesSteps at least Grafana's interval that keeps the
// range within MaxTimeseriesBuckets (7 days at most).
func TimeseriesStep(q query.Query) time.Duration {
	span := q.To.Sub(q.From)
	for _, s := range TimeseriesSteps {
		if s >= q.Interval && span/s < MaxTimeseriesBuckets {
			return s
		}
	}
	return TimeseriesSteps[len(TimeseriesSteps)-1]
}

// alignEpoch is the start of the step-long bucket, counted from the Unix epoch, that holds t.
func alignEpoch(t time.Time, step time.Duration) time.Time {
	sec := int64(step / time.Second)
	u := t.Unix()
	b := u / sec * sec
	if u < 0 && u%sec != 0 {
		b -= sec
	}
	return time.Unix(b, 0).UTC()
}

type tsMetric struct {
	kind    entityKind
	src     string // SELECT id, t, pid, val
	agg     string // aggregate over x(id, t, pid, val)
	pct     bool   // null (not zero) in empty buckets
	display string
	unit    string
}

func tsMetrics() map[string]tsMetric {
	count := "count(*)::float8"
	return map[string]tsMetric{
		"conferences": {kind: kindConf, src: "SELECT id, created_at AS t, NULL::uuid AS pid, NULL::float8 AS val%[1]s FROM conf", agg: count, display: "Conferences", unit: "none"},
		"sessions":    {kind: kindSess, src: "SELECT id, created_at AS t, NULL::uuid AS pid, NULL::float8 AS val%[1]s FROM sess", agg: count, display: "Sessions", unit: "none"},
		"participants": {kind: kindSess, src: `SELECT sess.id, sess.created_at AS t, sess.participant_id AS pid, NULL::float8 AS val%[1]s FROM sess
  JOIN participant p ON p.id = sess.participant_id AND p.is_active AND NOT p.is_sfu`, agg: "count(DISTINCT x.pid)::float8", display: "Participants", unit: "none"},
		"minutes":     {kind: kindSess, src: "SELECT id, created_at AS t, NULL::uuid AS pid, duration / 60.0::float8 AS val%[1]s FROM sess", agg: "COALESCE(sum(x.val), 0)::float8", display: "Participant minutes", unit: "none"},
		"connections": {kind: kindConn, src: "SELECT id, created_at AS t, NULL::uuid AS pid, NULL::float8 AS val%[1]s FROM conn", agg: count, display: "Connections", unit: "none"},
		"failedConnections": {kind: kindConn, src: `SELECT id, created_at AS t, NULL::uuid AS pid, NULL::float8 AS val%[1]s FROM conn
  WHERE conn.state = 'failed' OR conn.id IN (SELECT fi.connection_id FROM app_issue fi WHERE fi.is_active
    AND fi.code IN ('connection_failed', 'ice_failed') AND fi.connection_id IN (SELECT id FROM conn))`, agg: count, display: "Failed connections", unit: "none"},
		"relayedConnections": {kind: kindConn, src: "SELECT id, created_at AS t, NULL::uuid AS pid, NULL::float8 AS val%[1]s FROM conn WHERE type = 'r'", agg: count, display: "Relayed connections", unit: "none"},
		"issues":             {kind: kindIssue, src: "SELECT id, created_at AS t, NULL::uuid AS pid, NULL::float8 AS val%[1]s FROM iss", agg: count, display: "Issues", unit: "none"},
		"gumErrors":          {kind: kindIssue, src: "SELECT id, created_at AS t, NULL::uuid AS pid, NULL::float8 AS val%[1]s FROM iss WHERE code = 'getusermedia_error'", agg: count, display: "getUserMedia errors", unit: "none"},
		"setupP50Ms": {kind: kindConn, src: "SELECT * FROM (SELECT id, created_at AS t, NULL::uuid AS pid, setup_ms AS val%[1]s FROM conn) su WHERE val >= 0",
			agg: "percentile_cont(0.5) WITHIN GROUP (ORDER BY x.val)", pct: true, display: "Setup time p50", unit: "ms"},
		"setupP95Ms": {kind: kindConn, src: "SELECT * FROM (SELECT id, created_at AS t, NULL::uuid AS pid, setup_ms AS val%[1]s FROM conn) su WHERE val >= 0",
			agg: "percentile_cont(0.95) WITHIN GROUP (ORDER BY x.val)", pct: true, display: "Setup time p95", unit: "ms"},
	}
}

// ErrMetricNotImplemented is returned for a metric the store has no definition of (none today: every
// metric query.Metrics allows is implemented; kept for callers that test for it).
var ErrMetricNotImplemented = fmt.Errorf("metric not implemented")

// qualityTsMetrics are the timeseries metrics read from fleet quality (quality.go): one exact
// percentile_cont per bucket over the bucket's inbound audio samples, picked by QualityMetric.
var qualityTsMetrics = map[string]struct{ display, unit string }{
	"mosP50":      {"MOS p50", "none"},
	"lossP95Pct":  {"Packet loss p95", "percent"},
	"rttP95Ms":    {"RTT p95", "ms"},
	"jitterP95Ms": {"Jitter p95", "ms"},
}

// IsQualityMetric reports whether a timeseries metric is read from fleet quality.
func IsQualityMetric(metric string) bool {
	_, ok := qualityTsMetrics[metric]
	return ok
}

func init() { register(query.TypeTimeseries, runTimeseries) }

func runTimeseries(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	if IsQualityMetric(q.Metric) {
		return runQualityTimeseries(ctx, s, q)
	}
	b := &sqlb{}
	m, ok := tsMetrics()[q.Metric]
	if !ok {
		return nil, fmt.Errorf("%w: timeseries metric %q", ErrMetricNotImplemented, q.Metric)
	}
	step := TimeseriesStep(q)
	var with string
	switch m.kind {
	case kindConf:
		with = b.entityCTEs(q, s.scope, need{conf: true, status: q.GroupBy == "status"})
	case kindSess:
		with = b.entityCTEs(q, s.scope, need{sess: true, sessDims: sessionDims[q.GroupBy] != ""})
	case kindConn:
		with = b.entityCTEs(q, s.scope, need{conn: true, setup: q.Metric == "setupP50Ms" || q.Metric == "setupP95Ms"})
	case kindIssue:
		with = withCTEs("", b.issueCTEs(q, s.scope, false, false))
	}
	// A group value the entity carries itself (a session's browser, a conference's status) is read in
	// place; others come from the group CTE g, joined on the entity id.
	ent := []string{"conf", "sess", "conn", "iss"}[m.kind]
	cols, grp, join := ", ''::text AS grp, ''::text AS grp2", "src.grp, src.grp2", ""
	if q.GroupBy != "" {
		if g, g2, ok := directGroup(q.GroupBy, m.kind, ent); ok {
			cols = ", " + g + " AS grp, " + g2 + " AS grp2"
		} else {
			with += b.groupCTEs(q, m.kind, ent, "g")
			grp, join = "COALESCE(g.grp, 'none') AS grp, COALESCE(g.grp2, '') AS grp2", " LEFT JOIN g ON g.key = src.id"
		}
	}
	with += ",\nsrc AS MATERIALIZED (" + sprintf(m.src, cols) + ")"
	sql := with + `
SELECT date_bin(` + b.p(int64(step/time.Second)) + ` * interval '1 second', x.t, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket,
  x.grp, x.grp2, ` + m.agg + `
FROM (SELECT src.id, src.t, src.pid, src.val, ` + grp + ` FROM src` + join + `) x
GROUP BY 1, 2, 3 ORDER BY 1, 2, 3`
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	series := map[seriesKey]map[int64]*float64{}
	for rows.Next() {
		var t time.Time
		var k seriesKey
		var v *float64
		if err := rows.Scan(&t, &k.grp, &k.grp2, &v); err != nil {
			return nil, err
		}
		if series[k] == nil {
			series[k] = map[int64]*float64{}
		}
		series[k][t.Unix()] = v
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	f := seriesFrame(q, step, series, frames.Executed(sql, b.args), m.display, m.unit, !m.pct)
	return data.Frames{f}, nil
}

// runQualityTimeseries answers mosP50, lossP95Pct, rttP95Ms and jitterP95Ms: QualityBuckets (or
// QualityBucketsByGroup with groupBy) on the timeseries step, one value per bucket, null in a bucket
// without a sample. Every bucket's percentile is exact on its own samples and does not depend on the
// range around it, so the plugin's per-bucket cache may compose a range from cached buckets; a
// percentile over a longer range is not the combination of its buckets' percentiles (for one
// number over the range: overview with metric mosP50, quality_median.go).
// Cost: as the quality query type (it reads every summary of the range once); without groupBy it
// shares that query's statement (qualityBucketsShared), so a dashboard with both runs it once.
func runQualityTimeseries(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	qm := qualityTsMetrics[q.Metric]
	step := TimeseriesStep(q)
	var sh qualityShare
	var err error
	if q.GroupBy == "" {
		sh, err = s.qualityBucketsShared(ctx, q, step)
	} else {
		var sql string
		var args []any
		sh.Buckets, sql, args, err = s.QualityBucketsByGroup(ctx, q, step)
		sh.Executed = frames.Executed(sql, args)
	}
	if err != nil {
		return nil, err
	}
	series := map[seriesKey]map[int64]*float64{}
	for _, qb := range sh.Buckets {
		k := seriesKey{qb.Group, qb.Group2}
		if series[k] == nil {
			series[k] = map[int64]*float64{}
		}
		v, _ := QualityMetric(qb, q.Metric)
		series[k][qb.Time.Unix()] = v
	}
	f := seriesFrame(q, step, series, sh.Executed, qm.display, qm.unit, false)
	frames.Notice(f, data.NoticeSeverityInfo, fmt.Sprintf("Exact percentile (percentile_cont) per %s bucket over the inbound audio samples of the bucket (summary.data for ended conferences, raw stats rows for the others)", step))
	return data.Frames{f}, nil
}

// seriesKey is one group of a time series (grp2: the city's country).
type seriesKey struct{ grp, grp2 string }

// seriesFrame is the wide frame of q's metric: a time field with every step of [q.From, q.To) and
// one field per group (in order), labelled by the group-by; a bucket without a value is null, or
// zero with zeroFill (counts).
func seriesFrame(q query.Query, step time.Duration, series map[seriesKey]map[int64]*float64, executed, display, unit string, zeroFill bool) *data.Frame {
	if q.GroupBy == "" && len(series) == 0 {
		series[seriesKey{}] = map[int64]*float64{}
	}
	keys := make([]seriesKey, 0, len(series))
	for k := range series {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].grp != keys[j].grp {
			return keys[i].grp < keys[j].grp
		}
		return keys[i].grp2 < keys[j].grp2
	})
	var times []time.Time
	for t := alignEpoch(q.From, step); t.Before(q.To); t = t.Add(step) {
		times = append(times, t)
	}
	f := data.NewFrame(q.Metric, data.NewField("time", nil, times))
	frames.Meta(f, data.FrameTypeTimeSeriesWide, data.VisTypeGraph, executed, nil)
	f.Meta.Custom = map[string]any{"bucketSeconds": int64(step / time.Second)}
	for _, k := range keys {
		vals := make([]*float64, len(times))
		for i, t := range times {
			if v := series[k][t.Unix()]; v != nil {
				vals[i] = v
			} else if zeroFill {
				vals[i] = new(float64)
			}
		}
		var labels data.Labels
		name := display
		if q.GroupBy != "" {
			labels = data.Labels{q.GroupBy: k.grp}
			name = k.grp
			if q.GroupBy == "city" {
				labels["country"] = k.grp2
				name = k.grp + ", " + k.grp2
			}
		}
		f.Fields = append(f.Fields, frames.Config(data.NewField(q.Metric, labels, vals), name, unit))
	}
	return f
}
