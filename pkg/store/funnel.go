package store

import (
	"context"
	"slices"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// Funnel definitions: the sessions created in the range (every filter applied), each step keeping the
// sessions of the previous step that also pass it; connections are the session's active ones.
//  1. Session started: every session.
//  2. Media access OK: no active getusermedia_error or no_media_access issue on the session (a session
//     that never asked for media has none, so it passes).
//  3. Connection attempted: the session has a connection.
//  4. Connected: one of its connections is connected or disconnected now (disconnected implies it was
//     connected), or has a negotiation with status connected, or shows media flowing (5).
//  5. Media flowing: for a connection of an ongoing conference with stats rows (app_genericevent type
//     stats with a numeric data.connection.bytesReceived/bytesSent), a bytes counter rises (max > min)
//     in them. Otherwise — ended conferences, whose stats rows the API deletes once the summary is
//     built, and connections without stats rows yet — the proxy is: connected (4), duration > 0 and
//     state not failed. Only ongoing conferences' stats rows are read: reading every stats row of a
//     30-day range (millions of wide JSON rows) took minutes, and summary.data is not parsed here.
//  6. Stable: no active connection_failed, ice_failed or connection_disconnected issue on the session.
//
// conversionPct = sessions / sessions of step 1 × 100 (null when there are none).
var funnelSteps = []string{"Session started", "Media access OK", "Connection attempted", "Connected", "Media flowing", "Stable"}

func init() { register(query.TypeFunnel, runFunnel) }

func runFunnel(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	b := &sqlb{}
	// The counters are read from data -> 'connection', taken once per stats row in a subquery that
	// OFFSET 0 keeps from being inlined: every access of data detoasts the whole stats JSON, and
	// reading the two counters straight from data did it four times per row (≈ 350 ms of the
	// funnel's 2.9 s at seed30 scale).
	// fk: connected is computed on app_connection's rows in a fenced subquery (OFFSET 0): joined first, the
	// connections' whole connection_info went into the join's hash (390k rows of ~300 bytes, spilled
	// at work_mem 4 MB; fk 1.0 → 0.5 s at seed30 scale), at the price of testing connections outside
	// the range too (≈ 70 ms for all 390k).
	// fgum and fbad list the sessions of every matching issue, not only sess's (the LEFT JOINs keep
	// sess's anyway): joining the issues to sess first cost more (30 d of seed30: 1.51-1.60 → 1.44-1.55 s).
	// fk, fgum and fbad skip rows older than sess's sessions can have (sincePred).
	num := func(key string) string {
		return "(CASE WHEN jsonb_typeof(y.c -> '" + key + "') = 'number' THEN (y.c -> '" + key + "')::float8 END)"
	}
	sql := b.entityCTEs(q, s.scope, need{sess: true}) + `,
fgum AS (SELECT DISTINCT i.session_id FROM app_issue i
  WHERE i.is_active AND ` + b.sincePred("i", q) + ` AND i.code IN ('getusermedia_error', 'no_media_access')),
fbad AS (SELECT DISTINCT i.session_id FROM app_issue i
  WHERE i.is_active AND ` + b.sincePred("i", q) + ` AND ` + issueConnActive("i") + `
    AND i.code IN ('connection_failed', 'ice_failed', 'connection_disconnected')),
fk AS MATERIALIZED (SELECT k.id, k.session_id, k.state, k.duration, fc.ongoing, k.connected
  FROM (SELECT k.id, k.session_id, k.conference_id, k.state, k.duration,
      k.state IN ('connected', 'disconnected') OR (k.connection_info -> 'negotiations') @> '[{"status":"connected"}]'::jsonb AS connected
    FROM app_connection k WHERE k.is_active AND ` + b.sincePred("k", q) + ` OFFSET 0) k
  JOIN sess ks ON ks.id = k.session_id JOIN conference fc ON fc.id = k.conference_id),
fst AS (SELECT x.connection_id, COALESCE(max(x.rx) > min(x.rx), false) OR COALESCE(max(x.tx) > min(x.tx), false) AS rising
  FROM (SELECT y.connection_id, ` + num("bytesReceived") + ` AS rx, ` + num("bytesSent") + ` AS tx
        FROM (SELECT e.connection_id, e.data -> 'connection' AS c FROM app_genericevent e
          WHERE e.is_active AND e.type = 'stats' AND ` + b.scopePred("e", s.scope, q.AppID) + `
            AND e.created_at >= ` + b.p(q.From) + ` AND e.connection_id IN (SELECT id FROM fk WHERE ongoing) OFFSET 0) y) x
  GROUP BY 1 HAVING count(x.rx) + count(x.tx) > 0),
fkf AS (SELECT fk.session_id, fk.connected OR COALESCE(fst.rising, false) AS connected,
    CASE WHEN fst.connection_id IS NOT NULL THEN fst.rising
         ELSE fk.connected AND fk.duration > 0 AND fk.state <> 'failed' END AS flowing
  FROM fk LEFT JOIN fst ON fst.connection_id = fk.id),
fks AS (SELECT session_id, bool_or(connected) AS connected, bool_or(flowing) AS flowing FROM fkf GROUP BY 1),
fs AS (SELECT fgum.session_id IS NULL AS media, fks.session_id IS NOT NULL AS attempted,
    COALESCE(fks.connected, false) AS connected, COALESCE(fks.flowing, false) AS flowing, fbad.session_id IS NULL AS stable
  FROM sess LEFT JOIN fgum ON fgum.session_id = sess.id LEFT JOIN fks ON fks.session_id = sess.id
  LEFT JOIN fbad ON fbad.session_id = sess.id)
SELECT count(*), count(*) FILTER (WHERE media), count(*) FILTER (WHERE media AND attempted),
  count(*) FILTER (WHERE media AND attempted AND connected),
  count(*) FILTER (WHERE media AND attempted AND connected AND flowing),
  count(*) FILTER (WHERE media AND attempted AND connected AND flowing AND stable)
FROM fs`
	counts := make([]int64, len(funnelSteps))
	dst := make([]any, len(counts))
	for i := range counts {
		dst[i] = &counts[i]
	}
	if err := s.db.QueryRow(ctx, sql, b.args...).Scan(dst...); err != nil {
		return nil, err
	}
	conv := make([]*float64, len(counts))
	for i, n := range counts {
		conv[i] = pct(n, counts[0])
	}
	f := data.NewFrame("funnel",
		frames.Config(data.NewField("step", nil, slices.Clone(funnelSteps)), "Step", ""),
		frames.Config(data.NewField("sessions", nil, counts), "Sessions", "none"),
		frames.Config(data.NewField("conversionPct", nil, conv), "Conversion", "percent"),
	)
	frames.Meta(f, data.FrameTypeNumericLong, data.VisTypeTable, sql, b.args)
	return data.Frames{f}, nil
}
