package store

import (
	"fmt"

	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// Session dimensions as SQL over an app_session alias. JSON is read with operators that yield NULL
// (never an error) on legacy shapes, and NULL or empty values read as "unknown" so that they can be
// grouped and filtered like any other value.
var sessionDims = map[string]string{
	"browser":    "COALESCE(NULLIF(%[1]s.platform #>> '{browser,name}', ''), 'unknown')",
	"os":         "COALESCE(NULLIF(%[1]s.platform #>> '{os,name}', ''), 'unknown')",
	"country":    "COALESCE(NULLIF(%[1]s.geo_ip ->> 'country_code', ''), 'unknown')",
	"city":       "COALESCE(NULLIF(%[1]s.geo_ip ->> 'city', ''), 'unknown')",
	"appVersion": "COALESCE(NULLIF(%[1]s.app_version, ''), 'unknown')",
	// NULL webrtc_sdk means plain RTCPeerConnection use.
	"sdk": "COALESCE(NULLIF(%[1]s.webrtc_sdk, ''), 'none')",
}

func dim(name, alias string) string { return fmt.Sprintf(sessionDims[name], alias) }

// sessDimCols name the session dimensions as columns of the sess set (need.sessDims), where they
// are extracted once instead of carrying the JSON they come from.
var sessDimCols = map[string]string{
	"browser": "d_browser", "os": "d_os", "country": "d_country", "city": "d_city", "appVersion": "d_app_version", "sdk": "d_sdk",
}

// sessDim reads a session dimension from a row of the sess set.
func sessDim(name, alias string) string { return alias + "." + sessDimCols[name] }

// sessionDimPreds are the browser/os/country/appVersion/sdk filters on a session alias.
func (b *sqlb) sessionDimPreds(s string, f query.Filters) []string {
	var out []string
	for _, d := range []struct {
		name   string
		values []string
	}{{"browser", f.Browser}, {"os", f.OS}, {"country", f.Country}, {"appVersion", f.AppVersion}, {"sdk", f.SDK}} {
		if len(d.values) > 0 {
			out = append(out, dim(d.name, s)+" = ANY("+b.p(d.values)+"::text[])")
		}
	}
	return out
}

func hasSessionDims(f query.Filters) bool {
	return len(f.Browser)+len(f.OS)+len(f.Country)+len(f.AppVersion)+len(f.SDK) > 0
}

// participantPred narrows a participant uuid column to filters.participantId, which may be the
// app's own participant id or the Peermetrics uuid.
func (b *sqlb) participantPred(col string, f query.Filters) string {
	if f.ParticipantID == "" {
		return ""
	}
	x := b.p(f.ParticipantID)
	return col + " IN (SELECT p.id FROM participant p WHERE p.participant_id = " + x + " OR p.id::text = " + x + ")"
}

// confOwnPreds are the filters on a conference's own columns (duration, search).
func (b *sqlb) confOwnPreds(c string, f query.Filters) []string {
	var out []string
	if f.DurationMinSeconds != nil {
		out = append(out, c+".duration >= "+b.p(*f.DurationMinSeconds))
	}
	if f.DurationMaxSeconds != nil {
		out = append(out, c+".duration < "+b.p(*f.DurationMaxSeconds))
	}
	if f.Search != "" {
		x := b.p("%" + escapeLike(f.Search) + "%")
		out = append(out, "("+c+".conference_id ILIKE "+x+" OR "+c+".conference_name ILIKE "+x+" OR "+c+".id::text = "+b.p(f.Search)+")")
	}
	return out
}

// confIssueCodePred keeps conferences with an active issue of one of the codes, attributed through
// its connection, else its session, when the issue has no conference_id.
func (b *sqlb) confIssueCodePred(c string, f query.Filters) string {
	if len(f.IssueCode) == 0 {
		return ""
	}
	return c + ".id IN (SELECT s.conference_id FROM app_issue i JOIN app_session s ON s.id = i.session_id AND s.is_active" +
		" LEFT JOIN app_connection cn ON cn.id = i.connection_id" +
		" WHERE i.is_active AND (i.connection_id IS NULL OR cn.is_active) AND i.code = ANY(" + b.p(f.IssueCode) + "::text[]))"
}

// confSessionPred keeps conferences having a session that matches the session dimensions and
// the participant filter.
func (b *sqlb) confSessionPred(c string, f query.Filters) string {
	preds := b.sessionDimPreds("fs", f)
	if p := b.participantPred("fs.participant_id", f); p != "" {
		preds = append(preds, p)
	}
	if len(preds) == 0 {
		return ""
	}
	return "EXISTS (SELECT 1 FROM app_session fs WHERE fs.conference_id = " + c + ".id AND fs.is_active AND " + and(preds...) + ")"
}

// issueConnActive keeps an issue unless its connection is soft-deleted. It is the join-free form of
// LEFT JOIN app_connection cn … WHERE (i.connection_id IS NULL OR cn.is_active) for statements that
// need nothing else of the connection: app_issue.connection_id is a foreign key, so a connection id
// always names a row, and the anti join hashes the few inactive connections instead of every issue
// (session breakdown, seed30 30 days: issues per session 0.68 → 0.48 s).
func issueConnActive(i string) string {
	return "NOT EXISTS (SELECT 1 FROM app_connection xcn WHERE xcn.id = " + i + ".connection_id AND NOT xcn.is_active)"
}

// sessionActive keeps a row (a connection, say) unless its session is soft-deleted: the join-free form
// of JOIN app_session s … WHERE s.is_active, as issueConnActive is for connections. session_id is a
// NOT NULL foreign key, so it always names a row; a session row is ~1.5 KiB of JSON, and hashing the
// few inactive ones instead of every session cut the setup-time statement (7 days of seed7) from
// 105 to 95 ms.
func sessionActive(x string) string {
	return "NOT EXISTS (SELECT 1 FROM app_session xs WHERE xs.id = " + x + ".session_id AND NOT xs.is_active)"
}

// statusCTE classifies the conferences listed by idsSQL with Peermetrics's precedence
// (ongoing > error > warning > success). Issues are aggregated in one hash join, never a correlated
// EXISTS per conference (SPEC §8), and attributed through their connection, else their session,
// when conference_id is NULL. Every issue has a session, so joining through it reaches all of them.
//
// unique says that idsSQL lists each conference once. The list is then joined rather than used in
// IN (...): PostgreSQL has no statistics on a CTE, estimates its distinct ids at 200 and plans IN as
// 200 index lookups into app_session, which at 90k conferences were 89k lookups (0.7 s of a 1.5 s
// classification at seed30 scale); a join keeps the CTE's row estimate and hashes. A list with
// repeats (one id per session) keeps IN, since a join would multiply the conferences.
func statusCTE(name, idsSQL string, unique bool) string {
	from, where := "conference c", "\n  WHERE c.id IN ("+idsSQL+")"
	if unique {
		from, where = "("+idsSQL+") ids(id) JOIN conference c ON c.id = ids.id", ""
	}
	return name + ` AS (
  SELECT c.id, ` + statusCase("c") + ` AS status
  FROM ` + from + `
  LEFT JOIN ` + issueFlags(idsSQL, unique) + ` ci ON ci.conference_id = c.id` + where + "\n)"
}

// statusCase is a conference's status from its ongoing column and its issueFlags row ci.
func statusCase(c string) string {
	return `CASE WHEN ` + c + `.ongoing THEN 'ongoing' WHEN ci.has_error THEN 'error'
                    WHEN ci.has_warning THEN 'warning' ELSE 'success' END`
}

// issueFlags aggregates the active issues of the conferences listed by idsSQL into one row per
// conference (conference_id, has_error, has_warning); see statusCTE.
func issueFlags(idsSQL string, unique bool) string {
	issueJoin, where := "", `
    WHERE i.is_active AND (i.connection_id IS NULL OR cn.is_active)
      AND s.conference_id IN (`+idsSQL+`)`
	if unique {
		issueJoin = "\n    JOIN (" + idsSQL + ") iids(id) ON iids.id = s.conference_id"
		where = "\n    WHERE i.is_active AND (i.connection_id IS NULL OR cn.is_active)"
	}
	return `(
    SELECT COALESCE(i.conference_id, cn.conference_id, s.conference_id) AS conference_id,
           bool_or(i.type = 'e') AS has_error, bool_or(i.type = 'w') AS has_warning
    FROM app_issue i
    JOIN app_session s ON s.id = i.session_id AND s.is_active` + issueJoin + `
    LEFT JOIN app_connection cn ON cn.id = i.connection_id` + where + `
    GROUP BY 1
  )`
}

// isoTS matches the ISO 8601 timestamps the SDK writes, so a malformed one is skipped instead of
// failing the statement on a cast (PostgreSQL 15 has no pg_input_is_valid).
//
// Fix (pkg/reliabilitytest FuzzJSONBReaders): the pattern used to accept any day 01-31 in any month,
// year 0000 and any offset, so one negotiation with "2026-02-30T10:00:00Z", year 0000 or "+99"
// failed the whole statement with SQLSTATE 22008/22009 (overview, setupTimeHistogram, connections
// answered 502). It now accepts only dates that exist (29 February in leap years only), years
// 0001-9999 and offsets up to ±15:59, which is exactly what the timestamptz cast accepts.
const isoTS = `'^` + isoDateTime + isoZone + `?$'`

// isoTSZoned and isoTSLocal split isoTS into timestamps with and without a zone, for readers that
// treat a zone-less time as UTC whatever the session's time zone.
const (
	isoTSZoned = `'^` + isoDateTime + isoZone + `$'`
	isoTSLocal = `'^` + isoDateTime + `$'`
)

// isoTSFast matches the usual shape (what JavaScript's toISOString writes: UTC, days 01-28) and only
// such strings, a subset of isoTS tried first: its simpler pattern is cheaper to run (0.88 s instead
// of 1.3 s for both timestamps of 390k connections), and isoTS only runs for the rest.
const isoTSFast = `'^[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])T([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?Z$'`

const (
	isoDateTime = `(` + isoYear + `-` + isoMonthDay + `|` + isoLeapDay + `)[T ]([01]\d|2[0-3]):[0-5]\d:[0-5]\d(\.\d+)?`
	isoZone     = `(Z|[+-](0\d|1[0-5])(:?[0-5]\d)?)`
	isoYear     = `(\d{3}[1-9]|\d{2}[1-9]\d|\d[1-9]\d{2}|[1-9]\d{3})`
	isoMonthDay = `((0[1-9]|1[0-2])-(0[1-9]|1\d|2[0-8])|(0[13-9]|1[0-2])-(29|30)|(0[13578]|1[02])-31)`
	isoLeapDay  = `(\d\d(0[48]|[2468][048]|[13579][26])|(0[48]|[2468][048]|[13579][26])00)-02-29`
)

// setupMs is the connection setup time of Peermetrics: the first negotiation, only when its
// status is connected, end - start in ms; NULL otherwise or when the JSON is malformed.
func setupMs(cn string) string {
	n := cn + ".connection_info -> 'negotiations' -> 0"
	return `(CASE WHEN jsonb_typeof(` + cn + `.connection_info -> 'negotiations') = 'array'
   AND ` + n + ` ->> 'status' = 'connected'
   AND (` + n + ` ->> 'start_time' ~ ` + isoTSFast + ` OR ` + n + ` ->> 'start_time' ~ ` + isoTS + `)
   AND (` + n + ` ->> 'end_time' ~ ` + isoTSFast + ` OR ` + n + ` ->> 'end_time' ~ ` + isoTS + `)
 THEN extract(epoch FROM ((` + n + ` ->> 'end_time')::timestamptz - (` + n + ` ->> 'start_time')::timestamptz)) * 1000 END)`
}

// setupTimesText is what setupMs reads, unvalidated: the start and end time of a connection's first
// negotiation as text (setup_start, setup_end), both NULL unless that negotiation connected. The
// lateral (joined after cn) finds the first negotiation once per connection instead of four times
// in the column expressions (setup times, 7 days of seed7: 89 -> 76-80 ms of SQL; 30 days of seed30
// -5 to -8 %); OFFSET 0 keeps the planner from folding it back into them.
func setupTimesText(cn string) (lateral, cols string) {
	lateral = ` CROSS JOIN LATERAL (SELECT CASE WHEN jsonb_typeof(` + cn + `.connection_info -> 'negotiations') = 'array'
    THEN ` + cn + `.connection_info -> 'negotiations' -> 0 END AS n0 OFFSET 0) neg`
	ok := `neg.n0 ->> 'status' = 'connected'`
	return lateral, `CASE WHEN ` + ok + ` THEN neg.n0 ->> 'start_time' END AS setup_start,
  CASE WHEN ` + ok + ` THEN neg.n0 ->> 'end_time' END AS setup_end`
}

func escapeLike(s string) string {
	out := make([]rune, 0, len(s))
	for _, r := range s {
		if r == '%' || r == '_' || r == '\\' {
			out = append(out, '\\')
		}
		out = append(out, r)
	}
	return string(out)
}
