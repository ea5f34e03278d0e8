package store

import (
	"context"
	"fmt"
	"slices"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/jackc/pgx/v5"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// quality (SPEC §3) — fleet call quality over time, and the mosP50/lossP95Pct/rttP95Ms/jitterP95Ms
// numbers of overview and timeseries (QualityPercentiles, QualityBuckets).
//
// Samples: the per-interval metrics of every inbound audio stream (W3C inbound-rtp, kind audio) of
// the connections in scope and filters, exactly as webrtcstats defines them (SPEC §6; the SQL below
// is a transcription of webrtcstats.BuildSeries for inbound audio, checked against it by
// TestQualitySQLMatchesWebrtcstats): loss % = Δlost/(Δlost+Δreceived) over the interval (null on a
// counter regression or when nothing was expected), jitter ms, RTT ms (the first audio
// remote-inbound roundTripTime, else the pair's ΔtotalRoundTripTime/ΔresponsesReceived, else its
// currentRoundTripTime), and eMOS with the loss in percent (null without an interval loss). A sample
// is timed by its own created_at and counted in the bucket of that time (half-open, UTC, epoch
// aligned), so the value of a bucket does not depend on the range around it.
//
// Where samples come from: a conference that has a summary (not ongoing, summary.data not null) is
// read from summary.data; any other (ongoing, or not yet summarised) from its raw stats rows. The
// summary survives POST_CONFERENCE_CLEANUP, so a bucket computed once does not change when the raw
// rows go: completed buckets are stable and cacheable. (connectionStats prefers raw rows, which
// are denser; quality prefers the one source every ended conference has.) The interval of a sample
// is therefore the summary's snapshot step (30–60 s and more for long calls) for ended conferences
// and the SDK's poll interval (10 s) for ongoing ones.
//
// Aggregates per bucket: percentile_cont (exact, no sketch: error 0 against the definition above)
// p50 and p5 of MOS (the low tail is the bad one: p95 of MOS would describe the best calls), p50
// and p95 of loss %, RTT ms, jitter ms; samples; sessions with a sample; poorSessionsPct = sessions
// having at least one sample in the bucket that breaches a data source threshold (loss > lossPct,
// RTT > rttMs, jitter > jitterMs, MOS < mos) / sessions having a sample in the bucket. Each bucket is
// exact and independent, so a time series is cached bucket by bucket (SPEC §5) and a longer range
// is the concatenation of its buckets. Percentiles of a union of buckets are NOT derivable from the
// buckets' percentiles: overview's mosP50 (one number for the range) runs QualityPercentiles over
// a range of up to a day, and merges cached per-day MOS histograms beyond (quality_median.go).
//
// Exactness limits: a sample whose previous observation lies more than qualityRawLookback before
// the range start (raw rows only; summaries are read whole) has no interval values; connections
// created more than qualityConnLookback before the range start are not read (a call longer than a
// day loses its samples before its last day); JSON entries keyed by stats id without an "id" field,
// and numeric strings with a BigInt "n" suffix, are read by webrtcstats but skipped here.
//
// Cost: the statement reads each summary.data of the conferences created in [from − 1 day, to)
// once (detoast + jsonb_array_elements, in a LATERAL per summary so that every window sort is one
// conference's small in-memory sort, never one sort of the whole fleet) and the raw stats rows of
// unsummarised conferences through app_genericevent_connection_id_idx, one index scan per
// connection. It is linear in the summary bytes: see the README for seed30 measurements.
func init() { register(query.TypeQuality, runQuality) }

const (
	// qualityRawLookback: raw stats rows this long before the range are read for the lag.
	qualityRawLookback = 10 * time.Minute
	// qualityConnLookback: connections created this long before the range are candidates.
	qualityConnLookback = 24 * time.Hour
)

// QualityBucket is one bucket of fleet quality; nil percentiles mean no sample had that metric.
type QualityBucket struct {
	Time                 time.Time
	Group, Group2        string // the group value (and country for city) of QualityBucketsByGroup
	MOSP50, MOSP5        *float64
	LossP50, LossP95     *float64 // percent
	RTTP50, RTTP95       *float64 // ms
	JitterP50, JitterP95 *float64 // ms
	PoorSessionsPct      *float64
	Samples              int64
	Sessions             int64
	PoorSessions         int64
}

// jnum reads a jsonb value as numeric: a JSON number, or a string holding a decimal number; NULL
// for anything else (never an error).
func jnum(x string) string {
	return `(CASE jsonb_typeof(` + x + `) WHEN 'number' THEN (` + x + `)::numeric WHEN 'string' THEN CASE WHEN (` + x +
		` #>> '{}') ~ '^\s*[+-]?\d{1,30}(\.\d{1,30})?([eE][+-]?\d{1,3})?\s*$' THEN btrim(` + x + ` #>> '{}')::numeric END END)`
}

// ctrSQL keeps a numeric that is a valid unsigned 64-bit counter (webrtcstats.ParseCounter).
func ctrSQL(v string) string {
	return `(CASE WHEN ` + v + ` >= 0 AND ` + v + ` <= 18446744073709551615 AND ` + v + ` = trunc(` + v + `) THEN ` + v + ` END)`
}

// sctrSQL keeps a numeric that is a valid signed 64-bit counter (packetsLost).
func sctrSQL(v string) string {
	return `(CASE WHEN ` + v + ` BETWEEN -9223372036854775808 AND 9223372036854775807 AND ` + v + ` = trunc(` + v + `) THEN ` + v + ` END)`
}

// gaugeSQL keeps a non-negative finite gauge as float8.
func gaugeSQL(v string) string {
	return `(CASE WHEN ` + v + ` >= 0 AND ` + v + ` < 1e300 THEN ` + v + `::float8 END)`
}

// entriesSQL is a stats entry list as a jsonb array: a list as is, a single entry (with id or type)
// as a one-element list, an object keyed by stats id as the list of its values, else empty.
func entriesSQL(x string) string {
	return `(CASE jsonb_typeof(` + x + `) WHEN 'array' THEN ` + x + ` WHEN 'object' THEN CASE WHEN ` + x + ` ? 'id' OR ` + x +
		` ? 'type' THEN jsonb_build_array(` + x + `) ELSE jsonb_path_query_array(` + x + `, '$.*') END ELSE '[]'::jsonb END)`
}

// inboundAudioMetricsSQL turns samples into per-interval inbound audio metrics. src must yield
// (cid text, t timestamptz, ord bigint, tb text, d jsonb): the connection, the sample time, a
// tie-breaker order and the sample's data {connection, remote, audio, video}. The result has
// (cid, t, loss, rtt, jit, mos), one row per inbound audio stream and sample.
func inboundAudioMetricsSQL(src string) string {
	// Each sample's jsonb is taken apart once (jsonb_to_record: one detoast, not one per operator)
	// and its per-sample values (candidate pair, remote RTT) are computed once in a fenced
	// subquery (OFFSET 0), not once per stream of the sample.
	return `SELECT l.cid, l.t, m.loss, m.rtt, l.jit * 1000 AS jit,
  CASE WHEN m.loss IS NOT NULL THEN least(greatest(1 + 0.035 * e2.r + 7e-6 * e2.r * (e2.r - 60) * (100 - e2.r), 1), 5) END AS mos
FROM (
  SELECT st.*,
    lag(st.t) OVER w AS p_t, lag(st.recv) OVER w AS p_recv, lag(st.lost) OVER w AS p_lost, lag(st.b) OVER w AS p_b,
    lag(st.hb) OVER w AS p_hb, lag(st.jbd) OVER w AS p_jbd, lag(st.jbe) OVER w AS p_jbe, lag(st.fec) OVER w AS p_fec,
    lag(st.pp) OVER w AS p_pp, lag(st.pid) OVER w AS p_pid, lag(st.resp) OVER w AS p_resp, lag(st.trtt) OVER w AS p_trtt
  FROM (
    SELECT s.cid, s.t, s.ord, s.tb,
      CASE WHEN f.type IN ('remote-inbound-rtp', 'remote-outbound-rtp') AND COALESCE(f."localId", '') <> ''
           THEN f."localId" ELSE NULLIF(f.id, '') END AS sid,
      ` + ctrSQL("n.recv") + ` AS recv, ` + sctrSQL("n.lost") + ` AS lost, ` + gaugeSQL("n.jit") + ` AS jit,
      ` + ctrSQL("n.b") + ` AS b, ` + ctrSQL("n.hb") + ` AS hb, ` + gaugeSQL("n.jbd") + ` AS jbd, ` + ctrSQL("n.jbe") + ` AS jbe,
      ` + ctrSQL("n.fec") + ` AS fec, s.pp, s.pid, ` + ctrSQL("s.resp") + ` AS resp, ` + gaugeSQL("s.trtt") + ` AS trtt,
      ` + gaugeSQL("s.crtt") + ` AS crtt, s.rrtt
    FROM (
      SELECT s0.cid, s0.t, s0.ord, s0.tb, r.audio -> 'inbound' AS ain,
        jsonb_typeof(r.connection) = 'object' AS pp, COALESCE(r.connection ->> 'id', '') AS pid,
        ` + jnum("r.connection -> 'responsesReceived'") + ` AS resp, ` + jnum("r.connection -> 'totalRoundTripTime'") + ` AS trtt,
        ` + jnum("r.connection -> 'currentRoundTripTime'") + ` AS crtt,
        (SELECT ` + gaugeSQL("rn.v") + ` FROM jsonb_array_elements(` + entriesSQL("r.remote #> '{audio,inbound}'") + `) WITH ORDINALITY AS ri(r, o)
           CROSS JOIN LATERAL (SELECT ` + jnum("ri.r -> 'roundTripTime'") + ` AS v) rn
         WHERE jsonb_typeof(ri.r) = 'object' AND ` + gaugeSQL("rn.v") + ` IS NOT NULL ORDER BY ri.o LIMIT 1) AS rrtt
      FROM (` + src + `) s0
      CROSS JOIN LATERAL jsonb_to_record(CASE WHEN jsonb_typeof(s0.d) = 'object' THEN s0.d ELSE '{}'::jsonb END)
        AS r(connection jsonb, remote jsonb, audio jsonb)
      WHERE s0.t IS NOT NULL AND r.audio IS NOT NULL
      OFFSET 0
    ) s
    CROSS JOIN LATERAL jsonb_array_elements(` + entriesSQL("s.ain") + `) AS x(e)
    CROSS JOIN LATERAL jsonb_to_record(CASE WHEN jsonb_typeof(x.e) = 'object' THEN x.e ELSE '{}'::jsonb END)
      AS f(id text, type text, "localId" text, "packetsReceived" jsonb, "packetsLost" jsonb, jitter jsonb, "bytesReceived" jsonb,
           "headerBytesReceived" jsonb, "jitterBufferDelay" jsonb, "jitterBufferEmittedCount" jsonb, "fecPacketsReceived" jsonb)
    CROSS JOIN LATERAL (SELECT ` + jnum(`f."packetsReceived"`) + ` AS recv, ` + jnum(`f."packetsLost"`) + ` AS lost,
      ` + jnum("f.jitter") + ` AS jit, ` + jnum(`f."bytesReceived"`) + ` AS b, ` + jnum(`f."headerBytesReceived"`) + ` AS hb,
      ` + jnum(`f."jitterBufferDelay"`) + ` AS jbd, ` + jnum(`f."jitterBufferEmittedCount"`) + ` AS jbe,
      ` + jnum(`f."fecPacketsReceived"`) + ` AS fec) n
    WHERE jsonb_typeof(x.e) = 'object'
  ) st
  WHERE st.sid IS NOT NULL
  WINDOW w AS (PARTITION BY st.cid, st.sid ORDER BY st.t, st.ord, st.tb)
) l
CROSS JOIN LATERAL (SELECT extract(epoch FROM l.t - l.p_t)::float8 AS dt) d0
CROSS JOIN LATERAL (SELECT
  CASE WHEN l.lost >= l.p_lost AND l.recv >= l.p_recv AND (l.lost - l.p_lost) + (l.recv - l.p_recv) > 0
       THEN (l.lost - l.p_lost)::float8 / ((l.lost - l.p_lost)::float8 + (l.recv - l.p_recv)::float8) * 100 END AS loss,
  CASE WHEN d0.dt > 0 AND l.b >= l.p_b THEN
    CASE WHEN l.hb IS NOT NULL AND l.p_hb IS NOT NULL
         THEN CASE WHEN l.hb >= l.p_hb THEN ((l.b - l.p_b) + (l.hb - l.p_hb))::float8 * 8 / d0.dt END
         ELSE (l.b - l.p_b)::float8 * 8 / d0.dt END END AS br,
  CASE WHEN l.jbe - l.p_jbe > 0 AND l.jbd >= l.p_jbd THEN (l.jbd - l.p_jbd) / (l.jbe - l.p_jbe)::float8 * 1000
       WHEN l.jbd IS NOT NULL AND l.jbe > 0 THEN l.jbd / l.jbe::float8 * 1000 ELSE 0 END AS jb,
  COALESCE(l.fec > l.p_fec, false) AS fec,
  COALESCE(l.rrtt * 1000, CASE WHEN l.pp THEN COALESCE(
    CASE WHEN l.p_pp AND (l.p_pid = l.pid OR l.p_pid = '' OR l.pid = '') AND l.resp > l.p_resp AND l.trtt >= l.p_trtt
         THEN (l.trtt - l.p_trtt) / (l.resp - l.p_resp)::float8 * 1000 END,
    l.crtt * 1000) END) AS rtt) m
CROSS JOIN LATERAL (SELECT 20 + m.jb + COALESCE(m.rtt, 0) / 2 AS d,
  CASE WHEN m.br > 0 THEN least(greatest(55 - 4.6 * ln(m.br), 0), 30) ELSE 6 END AS ie,
  CASE WHEN m.fec THEN 20 ELSE 10 END AS bpl, least(m.loss, 100) AS p) e1
CROSS JOIN LATERAL (SELECT least(greatest(100 - (e1.ie + (100 - e1.ie) * e1.p / (e1.p + e1.bpl))
  - (0.03 * e1.d + CASE WHEN e1.d > 150 THEN 0.1 * (e1.d - 150) ELSE 0 END), 0), 100) AS r) e2`
}

// jsonTimeSQL reads a snapshot's created_at (ISO 8601 / Python str(datetime) text, naive = UTC, or
// epoch milliseconds) as timestamptz; NULL when unreadable.
func jsonTimeSQL(x string) string {
	return `(CASE jsonb_typeof(` + x + `)
  WHEN 'string' THEN CASE
    WHEN (` + x + ` #>> '{}') ~ ` + isoTSFast + ` OR (` + x + ` #>> '{}') ~ ` + isoTSZoned + `
      THEN (` + x + ` #>> '{}')::timestamptz
    WHEN (` + x + ` #>> '{}') ~ ` + isoTSLocal + `
      THEN (` + x + ` #>> '{}')::timestamp AT TIME ZONE 'UTC' END
  WHEN 'number' THEN CASE WHEN (` + x + `)::numeric BETWEEN 0 AND 1e15 THEN to_timestamp((` + x + `)::numeric / 1000) END END)`
}

// qualitySamplesSQL writes the CTEs of the fleet's inbound audio samples in [from, to):
// qs(cid, session_id, t, loss, rtt, jit, mos). qm is materialized: where filters make PostgreSQL
// expect one connection, it put the sample computation inside a nested loop over qc and ran all of
// it once per connection (a one-day chunk of the tiny profile with every filter value selected:
// > 60 s instead of 0.4 s).
func (b *sqlb) qualitySamplesSQL(q query.Query, sc Scope) string {
	q2 := q
	q2.From = q.From.Add(-qualityConnLookback)
	with := b.entityCTEs(q2, sc, need{conn: true})
	lo, from, to := b.p(q.From.Add(-qualityRawLookback)), b.p(q.From), b.p(q.To)
	rawSrc := `SELECT e.connection_id::text AS cid, e.created_at AS t, 0::bigint AS ord, e.id::text AS tb, e.data AS d
    FROM app_genericevent e
    WHERE e.connection_id = rc.id AND e.type = 'stats' AND e.category = 'S' AND e.is_active
      AND e.created_at >= ` + lo + ` AND e.created_at < ` + to
	sumSrc := `SELECT x.el ->> 'connection' AS cid, ` + jsonTimeSQL("x.el -> 'created_at'") + ` AS t, x.ord, ''::text AS tb, x.el -> 'data' AS d
    FROM jsonb_array_elements(CASE WHEN jsonb_typeof(su.data) = 'array' THEN su.data ELSE '[]'::jsonb END) WITH ORDINALITY AS x(el, ord)
    WHERE jsonb_typeof(x.el) = 'object'`
	return with + `,
qc AS MATERIALIZED (SELECT conn.id, conn.session_id, conn.conference_id, conn.id::text AS cid FROM conn
  JOIN conference qcc ON qcc.id = conn.conference_id
  -- a connection from before the range only matters if its call was still running at the range start
  WHERE conn.created_at >= ` + from + ` OR qcc.end_time IS NULL OR qcc.end_time >= ` + lo + `),
qsum AS MATERIALIZED (SELECT su.conference_id FROM summary su JOIN conference c ON c.id = su.conference_id AND NOT c.ongoing
  WHERE su.conference_id IN (SELECT conference_id FROM qc) AND su.is_active AND su.data IS NOT NULL),
qm AS MATERIALIZED (
  SELECT m.* FROM summary su
  CROSS JOIN LATERAL (` + inboundAudioMetricsSQL(sumSrc) + `) m
  WHERE su.conference_id IN (SELECT conference_id FROM qsum)
  UNION ALL
  SELECT m.* FROM (SELECT id FROM qc WHERE conference_id NOT IN (SELECT conference_id FROM qsum)) rc
  CROSS JOIN LATERAL (` + inboundAudioMetricsSQL(rawSrc) + `) m
),
qs AS (SELECT qm.cid, qc.session_id, qm.t, qm.loss, qm.rtt, qm.jit, qm.mos FROM qm JOIN qc ON qc.cid = qm.cid
  WHERE qm.t >= ` + from + ` AND qm.t < ` + to + `)`
}

// QualityBuckets computes fleet quality per bucket of step (aligned to the Unix epoch); step 0 makes
// the whole range one bucket timed at its start. Only buckets with samples are returned. q.GroupBy
// is ignored (see QualityBucketsByGroup).
func (s *Store) QualityBuckets(ctx context.Context, q query.Query, step time.Duration) ([]QualityBucket, string, []any, error) {
	return s.qualityBuckets(ctx, q, step, false)
}

// QualityBucketsByGroup is QualityBuckets per bucket and per value of q.GroupBy (Group, Group2 set;
// "none" for a connection without a value). A sample is in the group of its connection, as the
// timeseries group-bys define it for connections (groupby.go): the session's browser, os, country,
// city, appVersion, sdk; the conference's status; each code of the connection's stored issues; the
// connection's candidate type. A multi-valued group (issueCode) counts the sample in each of its
// groups. Each (bucket, group) is exact and independent, like the buckets themselves.
func (s *Store) QualityBucketsByGroup(ctx context.Context, q query.Query, step time.Duration) ([]QualityBucket, string, []any, error) {
	return s.qualityBuckets(ctx, q, step, q.GroupBy != "")
}

func (s *Store) qualityBuckets(ctx context.Context, q query.Query, step time.Duration, grouped bool) ([]QualityBucket, string, []any, error) {
	b := &sqlb{}
	with := b.qualitySamplesSQL(q, s.scope)
	if grouped {
		with += b.groupCTEs(q, kindConn, "conn", "g")
	}
	sql := with + "\n" + s.qualityAggSQL(b, q, step, grouped)
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return nil, sql, b.args, err
	}
	defer rows.Close()
	var out []QualityBucket
	for rows.Next() {
		qb, err := scanQualityBucket(rows, grouped, nil)
		if err != nil {
			return nil, sql, b.args, err
		}
		out = append(out, qb)
	}
	return out, sql, b.args, rows.Err()
}

// qualityAggSQL is the per-bucket aggregate over qs: one row per bucket (or per bucket and group,
// reading the groups g), in time order.
func (s *Store) qualityAggSQL(b *sqlb, q query.Query, step time.Duration, grouped bool) string {
	grp, join, groupBy := "", "", "1"
	if grouped {
		grp, join, groupBy = ", COALESCE(g.grp, 'none'), COALESCE(g.grp2, '')", " LEFT JOIN g ON g.key::text = qs.cid", "1, 2, 3"
	}
	var bucket string
	if step > 0 {
		bucket = "date_bin(" + b.p(int64(step/time.Second)) + " * interval '1 second', qs.t, TIMESTAMPTZ '1970-01-01 00:00:00+00')"
	} else {
		bucket = b.p(q.From) + "::timestamptz"
	}
	th := s.thresholds
	poor := "(qs.loss > " + b.p(th.LossPct) + "::float8 OR qs.rtt > " + b.p(th.RTTMs) + "::float8 OR qs.jit > " +
		b.p(th.JitterMs) + "::float8 OR qs.mos < " + b.p(th.MOS) + "::float8)"
	return `SELECT ` + bucket + ` AS bucket` + grp + `,
  percentile_cont(0.5) WITHIN GROUP (ORDER BY qs.mos), percentile_cont(0.05) WITHIN GROUP (ORDER BY qs.mos),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY qs.loss), percentile_cont(0.95) WITHIN GROUP (ORDER BY qs.loss),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY qs.rtt), percentile_cont(0.95) WITHIN GROUP (ORDER BY qs.rtt),
  percentile_cont(0.5) WITHIN GROUP (ORDER BY qs.jit), percentile_cont(0.95) WITHIN GROUP (ORDER BY qs.jit),
  count(*), count(DISTINCT qs.session_id), count(DISTINCT qs.session_id) FILTER (WHERE ` + poor + `)
FROM qs` + join + ` GROUP BY ` + groupBy + ` ORDER BY ` + groupBy
}

// scanQualityBucket reads one row of qualityAggSQL, after the columns in before.
func scanQualityBucket(rows pgx.Rows, grouped bool, before []any) (QualityBucket, error) {
	var qb QualityBucket
	dst := append(before, &qb.Time)
	if grouped {
		dst = append(dst, &qb.Group, &qb.Group2)
	}
	dst = append(dst, &qb.MOSP50, &qb.MOSP5, &qb.LossP50, &qb.LossP95, &qb.RTTP50, &qb.RTTP95,
		&qb.JitterP50, &qb.JitterP95, &qb.Samples, &qb.Sessions, &qb.PoorSessions)
	if err := rows.Scan(dst...); err != nil {
		return qb, err
	}
	qb.Time = qb.Time.UTC()
	qb.PoorSessionsPct = pct(qb.PoorSessions, qb.Sessions)
	return qb, nil
}

// qualityShare is the result of the shared quality statement: the buckets, the MOS histogram of
// the whole range (mosMedian's bins) and what ran.
type qualityShare struct {
	Buckets  []QualityBucket `json:"buckets"`
	MOSBins  map[int]int64   `json:"mosBins"`
	Executed string          `json:"executed"`
}

// qualityBucketsShared is the buckets of QualityBuckets and the MOS histogram of the range from
// one shared statement (Store.Share) named by the step. The quality panel, the quality timeseries
// metrics without groupBy (mosP50, lossP95Pct, rttP95Ms, jitterP95Ms) and the overview's mosP50
// beyond a day (its day histograms) read the same samples: for the same filters, range (a UTC day:
// the chunks of computeBuckets, the days of mosMedian) and step, a dashboard runs one statement
// for all of them instead of one each. The samples are the expensive part: every summary of the
// range is read; the buckets and the histogram on top of them are cheap.
func (s *Store) qualityBucketsShared(ctx context.Context, q query.Query, step time.Duration) (qualityShare, error) {
	shared := q
	shared.QueryType, shared.Metric, shared.GroupBy, shared.Limit, shared.Offset = query.TypeQuality, "", "", 0, 0
	name := fmt.Sprintf("qualityBuckets/%d", int64(step/time.Second))
	return shareJSON(ctx, s, name, shared, func(ctx context.Context) (qualityShare, error) {
		return s.qualityShareSQL(ctx, shared, step)
	})
}

func (s *Store) qualityShareSQL(ctx context.Context, q query.Query, step time.Duration) (qualityShare, error) {
	b := &sqlb{}
	sql := b.qualitySamplesSQL(q, s.scope) + `,
qb AS (` + s.qualityAggSQL(b, q, step, false) + `),
qh AS (SELECT floor(qs.mos * ` + fmt.Sprint(mosBinsPerUnit) + `)::int AS bin, count(*) AS n FROM qs WHERE qs.mos IS NOT NULL GROUP BY 1)
SELECT NULL::int AS bin, NULL::bigint AS n, qb.* FROM qb
UNION ALL
SELECT qh.bin, qh.n, TIMESTAMPTZ '1970-01-01 00:00:00+00', NULL::float8, NULL::float8, NULL::float8, NULL::float8, NULL::float8,
  NULL::float8, NULL::float8, NULL::float8, 0::bigint, 0::bigint, 0::bigint FROM qh`
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return qualityShare{}, err
	}
	defer rows.Close()
	r := qualityShare{MOSBins: map[int]int64{}, Executed: frames.Executed(sql, b.args)}
	for rows.Next() {
		var bin, n *int64
		qb, err := scanQualityBucket(rows, false, []any{&bin, &n})
		if err != nil {
			return qualityShare{}, err
		}
		if bin != nil {
			r.MOSBins[int(*bin)] = *n
			continue
		}
		r.Buckets = append(r.Buckets, qb)
	}
	if err := rows.Err(); err != nil {
		return qualityShare{}, err
	}
	slices.SortFunc(r.Buckets, func(a, b QualityBucket) int { return a.Time.Compare(b.Time) })
	return r, nil
}

// QualityPercentiles is the one-number form for overview (mosP50) and for checks: the exact
// percentiles over every inbound audio sample of the range (see the quality definitions above).
// Values are nil when the range has no sample. Overview with metric mosP50 runs it (overview.go).
func (s *Store) QualityPercentiles(ctx context.Context, q query.Query) (mosP50, lossP95, rttP95, jitterP95 *float64, sql string, args []any, err error) {
	bs, sql, args, err := s.QualityBuckets(ctx, q, 0)
	if err != nil || len(bs) == 0 {
		return nil, nil, nil, nil, sql, args, err
	}
	return bs[0].MOSP50, bs[0].LossP95, bs[0].RTTP95, bs[0].JitterP95, sql, args, nil
}

// QualityMetric picks a timeseries quality metric (mosP50, lossP95Pct, rttP95Ms, jitterP95Ms) out of
// a bucket; ok is false for any other name.
func QualityMetric(b QualityBucket, metric string) (v *float64, ok bool) {
	switch metric {
	case "mosP50":
		return b.MOSP50, true
	case "lossP95Pct":
		return b.LossP95, true
	case "rttP95Ms":
		return b.RTTP95, true
	case "jitterP95Ms":
		return b.JitterP95, true
	}
	return nil, false
}

func runQuality(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	step := TimeseriesStep(q)
	sh, err := s.qualityBucketsShared(ctx, q, step)
	if err != nil {
		return nil, err
	}
	bs, executed := sh.Buckets, sh.Executed
	byTime := map[int64]QualityBucket{}
	for _, qb := range bs {
		byTime[qb.Time.Unix()] = qb
	}
	type col struct {
		name, display, unit string
		get                 func(QualityBucket) *float64
	}
	cols := []col{
		{"mosP50", "MOS p50", "none", func(b QualityBucket) *float64 { return b.MOSP50 }},
		{"mosP5", "MOS p5 (worst 5 %)", "none", func(b QualityBucket) *float64 { return b.MOSP5 }},
		{"lossP50Pct", "Packet loss p50", "percent", func(b QualityBucket) *float64 { return b.LossP50 }},
		{"lossP95Pct", "Packet loss p95", "percent", func(b QualityBucket) *float64 { return b.LossP95 }},
		{"rttP50Ms", "RTT p50", "ms", func(b QualityBucket) *float64 { return b.RTTP50 }},
		{"rttP95Ms", "RTT p95", "ms", func(b QualityBucket) *float64 { return b.RTTP95 }},
		{"jitterP50Ms", "Jitter p50", "ms", func(b QualityBucket) *float64 { return b.JitterP50 }},
		{"jitterP95Ms", "Jitter p95", "ms", func(b QualityBucket) *float64 { return b.JitterP95 }},
		{"poorSessionsPct", "Poor sessions", "percent", func(b QualityBucket) *float64 { return b.PoorSessionsPct }},
	}
	var times []time.Time
	vals := make([][]*float64, len(cols))
	var samples []int64
	for t := alignEpoch(q.From, step); t.Before(q.To); t = t.Add(step) {
		times = append(times, t)
		qb, ok := byTime[t.Unix()]
		for i, c := range cols {
			var v *float64
			if ok {
				v = c.get(qb)
			}
			vals[i] = append(vals[i], v)
		}
		samples = append(samples, qb.Samples)
	}
	f := data.NewFrame("quality", data.NewField("time", nil, times))
	frames.Meta(f, data.FrameTypeTimeSeriesWide, data.VisTypeGraph, executed, nil)
	for i, c := range cols {
		f.Fields = append(f.Fields, frames.Config(data.NewField(c.name, nil, vals[i]), c.display, c.unit))
	}
	f.Fields = append(f.Fields, frames.Config(data.NewField("samples", nil, samples), "Audio samples", "none"))
	th := s.thresholds
	f.Meta.Custom = map[string]any{"bucketSeconds": int64(step / time.Second),
		"thresholds": map[string]float64{"lossPct": th.LossPct, "rttMs": th.RTTMs, "jitterMs": th.JitterMs, "mos": th.MOS}}
	frames.Notice(f, data.NoticeSeverityInfo, fmt.Sprintf("Exact percentiles (percentile_cont) per %s bucket over inbound audio samples: summary.data for ended conferences, raw stats rows for the others; poor = loss > %g %%, RTT > %g ms, jitter > %g ms or MOS < %g",
		step, th.LossPct, th.RTTMs, th.JitterMs, th.MOS))
	return data.Frames{f}, nil
}
