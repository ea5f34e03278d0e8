package main

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/peermetrics/grafana-datasource/pkg/store"
)

// Plain SQL: what a Grafana user would write in Grafana's own PostgreSQL data source to draw the
// same panels, one straightforward statement per panel, no cache. Range panels take $1 = from and
// $2 = to (Grafana's $__timeFrom()/$__timeTo()); conference panels take $1 = the conference uuid.
// The scope is every active app (the benchmark's data source has an empty scope), and soft-deleted
// rows are left out as the plugin does. Where a definition differs from the plugin's, plainNotes
// says how.

// plainStmt is one panel's statement.
type plainStmt struct {
	Panel string
	SQL   string
	Conf  bool // takes the conference uuid, not the range
}

const (
	confIn         = `conference c JOIN app a ON a.id = c.app_id AND a.is_active`
	cRange         = `c.is_active AND c.created_at >= $1 AND c.created_at < $2`
	sessIn         = `app_session s JOIN conference c ON c.id = s.conference_id AND c.is_active JOIN app a ON a.id = c.app_id AND a.is_active`
	sRange         = `s.is_active AND s.created_at >= $1 AND s.created_at < $2`
	connIn         = `app_connection cn JOIN app_session s ON s.id = cn.session_id AND s.is_active JOIN conference c ON c.id = cn.conference_id AND c.is_active JOIN app a ON a.id = c.app_id AND a.is_active`
	cnRange        = `cn.is_active AND cn.created_at >= $1 AND cn.created_at < $2`
	liveIssue      = `app_issue i JOIN app_session s ON s.id = i.session_id AND s.is_active LEFT JOIN app_connection cn ON cn.id = i.connection_id`
	liveIssueWhere = `i.is_active AND (i.connection_id IS NULL OR cn.is_active)`
	// confIssues: per conference, whether it has an error / warning issue.
	confIssues = `(SELECT COALESCE(i.conference_id, cn.conference_id, s.conference_id) AS conference_id,
    bool_or(i.type = 'e') AS e, bool_or(i.type = 'w') AS w
  FROM ` + liveIssue + ` WHERE ` + liveIssueWhere + ` GROUP BY 1)`
	setupExpr = `(CASE WHEN cn.connection_info -> 'negotiations' -> 0 ->> 'status' = 'connected'
   AND cn.connection_info -> 'negotiations' -> 0 ->> 'start_time' ~ '^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d'
   AND cn.connection_info -> 'negotiations' -> 0 ->> 'end_time' ~ '^\d{4}-\d\d-\d\d[T ]\d\d:\d\d:\d\d'
  THEN extract(epoch FROM (cn.connection_info -> 'negotiations' -> 0 ->> 'end_time')::timestamptz
                        - (cn.connection_info -> 'negotiations' -> 0 ->> 'start_time')::timestamptz) * 1000 END)`
)

var dimSQL = map[string]string{
	"browser":    `COALESCE(NULLIF(s.platform #>> '{browser,name}', ''), 'unknown')`,
	"os":         `COALESCE(NULLIF(s.platform #>> '{os,name}', ''), 'unknown')`,
	"city":       `COALESCE(NULLIF(s.geo_ip ->> 'city', ''), 'unknown')`,
	"appVersion": `COALESCE(NULLIF(s.app_version, ''), 'unknown')`,
	"sdk":        `COALESCE(NULLIF(s.webrtc_sdk, ''), 'none')`,
}

func intArray(v []int64) string {
	s := make([]string, len(v))
	for i, x := range v {
		s[i] = fmt.Sprint(x)
	}
	return "ARRAY[" + strings.Join(s, ",") + "]"
}

// overviewStatSQL: one statement per stat panel of the overview (the plugin answers all eight
// with one shared overview query).
var overviewStatSQL = map[string]string{
	"Conferences":         `SELECT count(*) FROM ` + confIn + ` WHERE ` + cRange,
	"Participants":        `SELECT count(DISTINCT p.id) FROM ` + sessIn + ` JOIN participant p ON p.id = s.participant_id AND p.is_active AND NOT p.is_sfu WHERE ` + sRange,
	"Sessions":            `SELECT count(*) FROM ` + sessIn + ` WHERE ` + sRange,
	"Participant minutes": `SELECT COALESCE(sum(s.duration), 0) / 60.0 FROM ` + sessIn + ` WHERE ` + sRange,
	"Conference error rate": `SELECT 100.0 * count(*) FILTER (WHERE NOT c.ongoing AND x.e) / NULLIF(count(*), 0)
FROM ` + confIn + ` LEFT JOIN ` + confIssues + ` x ON x.conference_id = c.id WHERE ` + cRange,
	"Relayed connections": `SELECT 100.0 * count(*) FILTER (WHERE cn.type = 'r') / NULLIF(count(*) FILTER (WHERE cn.type IS NOT NULL), 0)
FROM ` + connIn + ` WHERE ` + cnRange,
	"Setup time p95": `SELECT percentile_cont(0.95) WITHIN GROUP (ORDER BY ms) FROM (SELECT ` + setupExpr + ` AS ms FROM ` + connIn + ` WHERE ` + cnRange + `) x WHERE ms >= 0`,
	// "MOS p50": the plugin's overview returns null for mosP50 (not computed yet), so there is
	// nothing to compare; no statement.
}

// plainFor returns the plain statements of a distinct plugin query (one per panel that shows it),
// or nil when there is no straightforward equivalent (the benchmark then replays the plugin's
// own statements on the plain connection and says so).
func plainFor(q *distinctQuery) []plainStmt {
	var m map[string]any
	_ = json.Unmarshal(q.Body, &m)
	groupBy, _ := m["groupBy"].(string)
	one := func(sql string) []plainStmt { return []plainStmt{{Panel: q.Panels[0], SQL: sql}} }
	conf := func(sql string) []plainStmt { return []plainStmt{{Panel: q.Panels[0], SQL: sql, Conf: true}} }
	switch q.QueryType {
	case "overview":
		var out []plainStmt
		for _, p := range q.Panels {
			if s, ok := overviewStatSQL[p]; ok {
				out = append(out, plainStmt{Panel: p, SQL: s})
			}
		}
		if len(out) == 0 {
			return nil // e.g. the MOS p50 panel (metric mosP50): replay the plugin's statement
		}
		return out
	case "conferenceStatus":
		return one(`SELECT date_trunc('day', t.created_at AT TIME ZONE 'UTC') AS time,
  count(*) FILTER (WHERE st = 'success') AS success, count(*) FILTER (WHERE st = 'warning') AS warning,
  count(*) FILTER (WHERE st = 'error') AS error, count(*) FILTER (WHERE st = 'ongoing') AS ongoing
FROM (SELECT c.created_at, CASE WHEN c.ongoing THEN 'ongoing' WHEN x.e THEN 'error' WHEN x.w THEN 'warning' ELSE 'success' END AS st
      FROM ` + confIn + ` LEFT JOIN ` + confIssues + ` x ON x.conference_id = c.id WHERE ` + cRange + `) t
GROUP BY 1 ORDER BY 1`)
	case "issueSummary":
		return one(`SELECT i.code, count(*) AS issues, count(DISTINCT c.id) AS conferences, count(DISTINCT i.session_id) AS sessions
FROM ` + liveIssue + ` JOIN conference c ON c.id = COALESCE(i.conference_id, cn.conference_id, s.conference_id)
  JOIN app a ON a.id = c.app_id AND a.is_active
WHERE ` + liveIssueWhere + ` AND ` + cRange + `
GROUP BY 1 ORDER BY 2 DESC`)
	case "funnel":
		return one(`SELECT count(*) AS started, count(*) FILTER (WHERE media) AS media_ok,
  count(*) FILTER (WHERE media AND attempted) AS attempted, count(*) FILTER (WHERE media AND attempted AND connected) AS connected,
  count(*) FILTER (WHERE media AND attempted AND connected AND flowing) AS flowing,
  count(*) FILTER (WHERE media AND attempted AND connected AND flowing AND stable) AS stable
FROM (SELECT
  NOT EXISTS (SELECT 1 FROM app_issue i WHERE i.session_id = s.id AND i.is_active AND i.code IN ('getusermedia_error', 'no_media_access')) AS media,
  EXISTS (SELECT 1 FROM app_connection k WHERE k.session_id = s.id AND k.is_active) AS attempted,
  EXISTS (SELECT 1 FROM app_connection k WHERE k.session_id = s.id AND k.is_active
          AND (k.state IN ('connected', 'disconnected') OR (k.connection_info -> 'negotiations') @> '[{"status":"connected"}]')) AS connected,
  EXISTS (SELECT 1 FROM app_connection k WHERE k.session_id = s.id AND k.is_active AND k.duration > 0 AND k.state <> 'failed'
          AND (k.state IN ('connected', 'disconnected') OR (k.connection_info -> 'negotiations') @> '[{"status":"connected"}]')) AS flowing,
  NOT EXISTS (SELECT 1 FROM app_issue i LEFT JOIN app_connection cn ON cn.id = i.connection_id
              WHERE i.session_id = s.id AND ` + liveIssueWhere + ` AND i.code IN ('connection_failed', 'ice_failed', 'connection_disconnected')) AS stable
  FROM ` + sessIn + ` WHERE ` + sRange + `) f`)
	case "gumErrors":
		return one(`SELECT 'getUserMedia' AS source, i.data ->> 'name' AS name, count(*)
FROM ` + liveIssue + ` JOIN conference c ON c.id = COALESCE(i.conference_id, cn.conference_id, s.conference_id) JOIN app a ON a.id = c.app_id AND a.is_active
WHERE ` + liveIssueWhere + ` AND i.code = 'getusermedia_error' AND ` + cRange + ` AND jsonb_typeof(i.data) = 'object' AND i.data ->> 'name' <> ''
GROUP BY 1, 2
UNION ALL
SELECT 'getDisplayMedia', e.data -> 'error' ->> 'name', count(*)
FROM app_genericevent e JOIN app_session s ON s.id = e.session_id AND s.is_active JOIN ` + confIn + ` ON c.id = e.conference_id
WHERE e.is_active AND e.type = 'getDisplayMedia' AND ` + cRange + ` AND jsonb_typeof(e.data -> 'error') = 'object' AND e.data -> 'error' ->> 'name' <> ''
GROUP BY 1, 2 ORDER BY 3 DESC`)
	case "connectionTypes":
		return one(`SELECT CASE cn.type WHEN 'h' THEN 'host' WHEN 's' THEN 'srflx' WHEN 'p' THEN 'prflx' WHEN 'r' THEN 'relay' ELSE 'unknown' END AS type,
  CASE WHEN cn.connection_info -> 'detected_tcp' = 'true'::jsonb
         OR EXISTS (SELECT 1 FROM app_issue ti WHERE ti.connection_id = cn.id AND ti.is_active AND ti.code = 'tcp_used') THEN 'tcp'
       WHEN cn.type IS NOT NULL THEN 'udp' ELSE 'unknown' END AS protocol, count(*)
FROM ` + connIn + ` WHERE ` + cnRange + ` GROUP BY 1, 2`)
	case "setupTimeHistogram":
		return one(`SELECT width_bucket(ms, ` + intArray(store.SetupBounds) + `::float8[]) AS bucket, count(*)
FROM (SELECT ` + setupExpr + ` AS ms FROM ` + connIn + ` WHERE ` + cnRange + `) x WHERE ms >= 0 GROUP BY 1 ORDER BY 1`)
	case "durationHistogram":
		return one(`SELECT width_bucket(c.duration, ` + intArray(store.DurationBounds) + `) AS bucket, count(*) FROM ` + confIn + ` WHERE ` + cRange + ` GROUP BY 1 ORDER BY 1`)
	case "participantHistogram":
		return one(`SELECT n AS participants, count(*) AS conferences FROM (
  SELECT c.id, count(DISTINCT p.id) AS n FROM ` + confIn + `
  LEFT JOIN app_session s ON s.conference_id = c.id AND s.is_active
  LEFT JOIN participant p ON p.id = s.participant_id AND p.is_active AND NOT p.is_sfu
  WHERE ` + cRange + ` GROUP BY c.id) x GROUP BY 1 ORDER BY 1`)
	case "breakdown":
		d, ok := dimSQL[groupBy]
		if !ok {
			return nil
		}
		extra, group := "", d
		if groupBy == "city" {
			extra = `, COALESCE(NULLIF(s.geo_ip ->> 'country_code', ''), 'unknown') AS country,
  avg((s.geo_ip ->> 'latitude')::float8) FILTER (WHERE jsonb_typeof(s.geo_ip -> 'latitude') = 'number') AS lat,
  avg((s.geo_ip ->> 'longitude')::float8) FILTER (WHERE jsonb_typeof(s.geo_ip -> 'longitude') = 'number') AS lon`
			group = "1, 2"
		} else {
			group = "1"
		}
		return one(`SELECT ` + d + ` AS value` + extra + `, count(*) AS sessions, count(DISTINCT s.conference_id) AS conferences,
  COALESCE(sum(x.n), 0) AS issues, count(*) FILTER (WHERE x.e) AS sessions_with_errors
FROM ` + sessIn + `
LEFT JOIN (SELECT i.session_id, count(*) AS n, bool_or(i.type = 'e') AS e FROM app_issue i LEFT JOIN app_connection cn ON cn.id = i.connection_id
           WHERE ` + liveIssueWhere + ` GROUP BY 1) x ON x.session_id = s.id
WHERE ` + sRange + ` GROUP BY ` + group + ` ORDER BY sessions DESC LIMIT 1000`)

	// Conference dashboard: $1 is the conference uuid.
	case "participants":
		return conf(`SELECT p.id, p.participant_id, p.participant_name, count(*) AS sessions,
  (array_agg(COALESCE(s.platform #>> '{browser,name}', 'unknown') ORDER BY s.created_at DESC))[1] AS browser,
  (array_agg(COALESCE(s.platform #>> '{os,name}', 'unknown') ORDER BY s.created_at DESC))[1] AS os,
  min(s.created_at) AS joined, sum(s.duration) AS seconds
FROM app_session s JOIN participant p ON p.id = s.participant_id AND p.is_active AND NOT p.is_sfu
WHERE s.conference_id = $1::uuid AND s.is_active GROUP BY p.id ORDER BY joined`)
	case "issues":
		return conf(`SELECT i.id, i.created_at, i.type, i.code, i.session_id, i.connection_id, i.data
FROM ` + liveIssue + ` WHERE ` + liveIssueWhere + ` AND s.conference_id = $1::uuid ORDER BY i.created_at LIMIT 1000`)
	case "sessions":
		return conf(`SELECT s.id, s.created_at, s.duration, s.end_time, p.participant_id, s.platform #>> '{browser,name}' AS browser,
  s.platform #>> '{os,name}' AS os, s.geo_ip ->> 'country_code' AS country, s.app_version, s.webrtc_sdk,
  (SELECT count(*) FROM app_issue i WHERE i.session_id = s.id AND i.is_active) AS issues
FROM app_session s JOIN participant p ON p.id = s.participant_id
WHERE s.conference_id = $1::uuid AND s.is_active ORDER BY s.created_at LIMIT 1000`)
	case "connections":
		return conf(`SELECT cn.id, cn.created_at, cn.type, cn.state, cn.duration, cn.session_id, cn.participant_id, cn.peer_id,
  (SELECT count(*) FROM app_issue i WHERE i.connection_id = cn.id AND i.is_active) AS issues
FROM app_connection cn JOIN app_session s ON s.id = cn.session_id AND s.is_active
WHERE cn.conference_id = $1::uuid AND cn.is_active ORDER BY cn.created_at LIMIT 1000`)
	case "events":
		return conf(`SELECT e.id, e.created_at, e.category, e.type, e.session_id, p.participant_id, e.connection_id, e.data
FROM app_genericevent e LEFT JOIN participant p ON p.id = e.participant_id
WHERE e.conference_id = $1::uuid AND e.is_active AND e.category <> 'S' ORDER BY e.created_at LIMIT 5000`)
	}
	// quality, connectionStats: per-interval deltas of getStats counters and eMOS over JSON
	// samples have no straightforward SQL; the plugin's own statements are the baseline.
	return nil
}

// plainNotes are the definition differences between a plain statement and the plugin's query.
var plainNotes = map[string]string{
	"overview":        "7 statements, one per stat panel; MOS p50 has none (the plugin returns null for it)",
	"funnel":          "'media flowing' from connection state/duration only (the plugin also reads raw stats counters where they exist)",
	"breakdown":       "conferences = distinct conferences of the sessions in the range (the plugin: conferences created in the range)",
	"quality":         "no straightforward SQL: the plugin's own statements replayed",
	"connectionStats": "no straightforward SQL: the plugin's own statements replayed",
}
