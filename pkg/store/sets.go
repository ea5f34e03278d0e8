package store

import (
	"strings"

	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// need says which entity sets a statement uses. status asks for the conferences' status; without it
// (and without a status filter) conf.status is NULL and the issue aggregation is not run at all, which
// saves a pass over every issue (≈ 160-180 ms at seed30 scale) for queries that never read it.
// sessDims adds the sessions' dimensions (sessDimCols, for grouping by them), sessGeo their
// coordinates as the JSON values geo_ip holds (la0, lo0: jsonb, read by geoCoord), sessConfInRange
// whether the session's conference was created in the range (conf_in_range), setup the connections' setup time
// (setup_ms), setupText the two timestamps it is computed from as text (setup_start, setup_end; for
// a reader that validates them itself, see isoMicros). A set is materialized: carrying the JSON of
// 260k sessions instead spilled ~150 MB to disk per statement at seed30 scale, and setup_ms costs two
// regular expressions per connection. confOnce and connOnce are for a statement that reads conf or
// conn once, in one place: unless a status step or filter makes it read twice, the set is then
// written without MATERIALIZED, so that the planner computes only the columns read and skips the
// tuplestore (setup times, 7 days of seed7: 207 → 144 ms of SQL; the overview skips detected_tcp's
// JSON for every connection; durationHistogram, 30 days of seed30: 48 → 27 ms). conf is inlined
// however often it is read when no filter goes through sessions or issues (see entityCTEs).
type need struct {
	conf, sess, conn, status, sessDims, sessGeo, sessConfInRange, setup, setupText, confOnce, connOnce bool
}

// entityCTEs writes the filtered entity sets most statements start from, each on its own
// created_at (SPEC §3):
//
//	conf(id, status, ongoing, duration, created_at)          conferences
//	sess(id, conference_id, participant_id, duration, created_at, app_version, webrtc_sdk[, d_browser…d_sdk][, la0, lo0][, conf_in_range]) sessions
//	conn(id, session_id, conference_id, type, state, detected_tcp, created_at[, setup_ms][, setup_start, setup_end]) connections
//
// Filters apply where their dimension exists: session dimensions to a session itself, to a
// conference through any of its sessions, to a connection through its session; conference columns
// (status, duration, search) to a conference and to what lies under it; issue codes to the entity
// that carries the issue. Soft-deleted rows and everything under them are left out.
func (b *sqlb) entityCTEs(q query.Query, s Scope, n need) string {
	f := q.Filters
	var ctes []string
	// A set is materialized once: under its final name unless a status step filters or extends it
	// (a second CTE over a materialized one that is read twice is copied again).
	confStatus := n.conf && (n.status || len(f.Status) > 0)
	name := func(set string, filtered bool) string {
		if filtered {
			return set + "0"
		}
		return set
	}
	// confIDs lists the range's conference ids for the status step: conf0's, or conf0's predicates
	// on conference (below).
	confIDs := "SELECT id FROM conf0"
	if n.conf {
		preds := []string{"c.is_active", b.scopePred("c", s, q.AppID), b.rangePred("c", q)}
		preds = append(preds, b.confOwnPreds("c", f)...)
		sessPred := b.confSessionPred("c", f)
		preds = append(preds, b.confIssueCodePred("c", f), sessPred)
		cols := "c.id, c.ongoing, c.duration, c.created_at"
		if !confStatus {
			cols += ", NULL::text AS status"
		}
		where := and(preds...)
		open := materialized(n.confOnce && !confStatus)
		if len(f.IssueCode) == 0 && sessPred == "" {
			// Without a filter through sessions or issues, the conference set is one scan of
			// conference: cheaper to repeat for each reader than to read from a materialized CTE,
			// which keeps every plan node above it out of the parallel workers and has no statistics
			// for the planner (issueSummary, 30 days of seed30: 490 -> 380 ms of SQL; 1 day 45-50 ->
			// 34-37 ms). With a status step conf0 stays materialized (its rows are read twice) but the
			// step's issue aggregation gets the ids this way: from conf0 it joined every issue to every
			// session before narrowing to the range's conferences (overview, 1 day of seed30: 374-382 ->
			// 221-228 ms of SQL; 7 days 580 -> 465 ms; 30 days unchanged).
			if confStatus {
				confIDs = "SELECT c.id FROM conference c WHERE " + where
			} else {
				open = " AS NOT MATERIALIZED ("
			}
		}
		ctes = append(ctes, name("conf", confStatus)+open+"SELECT "+cols+" FROM conference c WHERE "+where+")")
	}
	// Filters that sessions and connections inherit from their conference.
	parent := func() []string {
		preds := []string{"c.is_active", b.scopePred("c", s, q.AppID)}
		return append(preds, b.confOwnPreds("c", f)...)
	}
	if n.sess {
		preds := append(parent(), "s.is_active", b.rangePred("s", q), b.participantPred("s.participant_id", f))
		preds = append(preds, b.sessionDimPreds("s", f)...)
		if len(f.IssueCode) > 0 {
			preds = append(preds, "s.id IN (SELECT i.session_id FROM app_issue i WHERE i.is_active AND i.code = ANY("+b.p(f.IssueCode)+"::text[]))")
		}
		cols := "s.id, s.conference_id, s.participant_id, s.duration, s.created_at, s.app_version, s.webrtc_sdk"
		if n.sessDims {
			for _, d := range []string{"browser", "os", "country", "city", "appVersion", "sdk"} {
				cols += ", " + dim(d, "s") + " AS " + sessDimCols[d]
			}
		}
		if n.sessGeo {
			cols += ", s.geo_ip -> 'latitude' AS la0, s.geo_ip -> 'longitude' AS lo0"
		}
		if n.sessConfInRange {
			cols += ", " + b.rangePred("c", q) + " AS conf_in_range"
		}
		ctes = append(ctes, name("sess", len(f.Status) > 0)+` AS MATERIALIZED (SELECT `+cols+`
  FROM app_session s JOIN conference c ON c.id = s.conference_id WHERE `+and(preds...)+")")
	}
	if n.conn {
		preds := append(parent(), "cn.is_active", b.rangePred("cn", q), b.participantPred("cn.participant_id", f))
		// The session is joined only for dimension filters; otherwise its activity is all that is
		// read, and the anti join hashes the few inactive sessions instead of every one (see sessionActive).
		sessJoin := ""
		if hasSessionDims(f) {
			sessJoin = " JOIN app_session s ON s.id = cn.session_id"
			preds = append(append(preds, "s.is_active"), b.sessionDimPreds("s", f)...)
		} else {
			preds = append(preds, sessionActive("cn"))
		}
		if len(f.IssueCode) > 0 {
			preds = append(preds, "cn.id IN (SELECT i.connection_id FROM app_issue i WHERE i.is_active AND i.code = ANY("+b.p(f.IssueCode)+"::text[]))")
		}
		cols := "cn.id, cn.session_id, cn.conference_id, cn.type, cn.state, (cn.connection_info -> 'detected_tcp') = 'true'::jsonb AS detected_tcp, cn.created_at"
		if n.setup {
			cols += ", " + setupMs("cn") + "::float8 AS setup_ms"
		}
		lateral := ""
		if n.setupText {
			var setupCols string
			lateral, setupCols = setupTimesText("cn")
			cols += ", " + setupCols
		}
		ctes = append(ctes, name("conn", len(f.Status) > 0)+materialized(n.connOnce && len(f.Status) == 0)+`SELECT `+cols+`
  FROM app_connection cn`+lateral+sessJoin+` JOIN conference c ON c.id = cn.conference_id
  WHERE `+and(preds...)+")")
	}

	// Conference status: for conferences when asked for or filtered on, and for what lies under
	// conferences when the query filters on status.
	var ids []string
	if confStatus {
		ids = append(ids, confIDs)
	}
	if len(f.Status) > 0 {
		if n.sess {
			ids = append(ids, "SELECT conference_id FROM sess0")
		}
		if n.conn {
			ids = append(ids, "SELECT conference_id FROM conn0")
		}
	}
	statusIn := ""
	if confStatus && len(ids) == 1 {
		// Only the conferences need a status: compute it on conf0's rows, which carry ongoing,
		// instead of a cstat set joined back to conf0 (conferenceStatus, 7 days of seed7: 119 → 107 ms).
		conf := "SELECT conf0.*, " + statusCase("conf0") + " AS status FROM conf0\n  LEFT JOIN " +
			issueFlags(confIDs, true) + " ci ON ci.conference_id = conf0.id"
		if len(f.Status) > 0 {
			conf = "SELECT * FROM (" + conf + ") cs WHERE status = ANY(" + b.p(f.Status) + "::text[])"
		}
		return "WITH " + strings.Join(append(ctes, "conf AS ("+conf+")"), ",\n")
	}
	if len(ids) > 0 {
		ctes = append(ctes, statusCTE("cstat", strings.Join(ids, " UNION "), true))
		if len(f.Status) > 0 {
			statusIn = "SELECT id FROM cstat WHERE status = ANY(" + b.p(f.Status) + "::text[])"
		}
	}
	if confStatus {
		where := ""
		if statusIn != "" {
			where = " WHERE conf0.id IN (" + statusIn + ")"
		}
		ctes = append(ctes, "conf AS (SELECT conf0.*, cstat.status FROM conf0 JOIN cstat ON cstat.id = conf0.id"+where+")")
	}
	if statusIn != "" {
		for _, e := range []struct {
			on   bool
			name string
		}{{n.sess, "sess"}, {n.conn, "conn"}} {
			if e.on {
				ctes = append(ctes, e.name+" AS (SELECT * FROM "+e.name+"0 WHERE conference_id IN ("+statusIn+"))")
			}
		}
	}
	return "WITH " + strings.Join(ctes, ",\n")
}

// materialized opens a set's CTE, materialized unless the statement reads it once.
func materialized(once bool) string {
	if once {
		return " AS ("
	}
	return " AS MATERIALIZED ("
}
