package store

import (
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// Group-by values of the aggregate query types (timeseries, breakdown). A group value always belongs
// to an entity kind — what a row counts — and is reached from it as follows:
//
//	groupBy            conference                      session            connection          issue
//	browser…sdk, city  each of its active sessions     its own            its session         its session
//	status             its own                         its conference     its conference      its conference
//	issueCode          each code of its issues         each code          each code           its own code
//	connectionType     each type of its connections    each type          its own type        its connection's
//
// "Each" means the entity counts once in every group it belongs to (a conference with a Chrome and a
// Firefox session is in both series), so the groups of a multi-valued group-by need not add up to the
// total. An entity that has no value at all (a session without issues grouped by issueCode, an issue
// without connection grouped by connectionType) is in the group "none". Group values respect the
// query's own filters: a conference grouped by browser under an os filter only looks at sessions
// matching that os, and a group-by issueCode under an issueCode filter only shows the filtered codes.
// connectionType values are host, srflx, prflx, relay, and unknown (type not reported yet).
// city groups by (city, country code), so that two towns of one name stay apart; grp2 carries the
// country.

type entityKind int

const (
	kindConf entityKind = iota
	kindSess
	kindConn
	kindIssue
)

// connTypeName maps app_connection.type (h/s/p/r, NULL until known) to its ICE candidate type.
func connTypeName(alias string) string {
	return "(CASE " + alias + ".type WHEN 'h' THEN 'host' WHEN 's' THEN 'srflx' WHEN 'p' THEN 'prflx' WHEN 'r' THEN 'relay' ELSE 'unknown' END)"
}

// issueLiveJoin joins an app_issue alias i to its session s and connection cn (and to the joins in
// more), keeping only issues that are active and not under a soft-deleted session or connection.
func issueLiveJoin(more string) string {
	return ` FROM app_issue i JOIN app_session s ON s.id = i.session_id AND s.is_active
  LEFT JOIN app_connection cn ON cn.id = i.connection_id` + more + `
  WHERE i.is_active AND (i.connection_id IS NULL OR cn.is_active)`
}

// issueAttr is the conference an issue belongs to: its own, else its connection's, else its session's.
const issueAttr = "COALESCE(i.conference_id, cn.conference_id, s.conference_id)"

// issueCodePred narrows an app_issue alias to filters.issueCode, or "" when there is no such filter.
func (b *sqlb) issueCodePred(alias string, f query.Filters) string {
	if len(f.IssueCode) == 0 {
		return ""
	}
	return alias + ".code = ANY(" + b.p(f.IssueCode) + "::text[])"
}

// groupCTEs writes the CTE name(key, grp, grp2): the group values of each entity of the CTE ent (whose
// rows are of the given kind), one row per distinct (key, grp, grp2). A status group-by adds the CTE
// name+"stat" before it. The result starts with ",\n" so that it follows a WITH list.
func (b *sqlb) groupCTEs(q query.Query, kind entityKind, ent, name string) string {
	gb, f := q.GroupBy, q.Filters
	// The rows of ent (unique ids) are joined, not tested with IN: see statusCTE.
	entJoin := func(on string) string { return " JOIN " + ent + " ge ON ge.id = " + on }
	grp2 := "''::text"
	var pre, body string
	switch {
	case sessionDims[gb] != "":
		col := func(alias string) string {
			if gb == "city" {
				grp2 = dim("country", alias)
			}
			return dim(gb, alias) + " AS grp, " + grp2 + " AS grp2"
		}
		switch kind {
		case kindConf:
			preds := append([]string{"gs.is_active"}, b.sessionDimPreds("gs", f)...)
			preds = append(preds, b.participantPred("gs.participant_id", f))
			body = "SELECT DISTINCT gs.conference_id AS key, " + col("gs") + " FROM app_session gs" + entJoin("gs.conference_id") + " WHERE " + and(preds...)
		case kindSess: // ent is sess, built with need.sessDims
			g2 := "''::text"
			if gb == "city" {
				g2 = sessDim("country", "e")
			}
			body = "SELECT e.id AS key, " + sessDim(gb, "e") + " AS grp, " + g2 + " AS grp2 FROM " + ent + " e"
		default:
			body = "SELECT e.id AS key, " + col("gs") + " FROM " + ent + " e JOIN app_session gs ON gs.id = e.session_id"
		}
	case gb == "status":
		if kind == kindConf {
			body = "SELECT id AS key, status AS grp, " + grp2 + " AS grp2 FROM " + ent
		} else {
			st := name + "stat"
			pre = ",\n" + statusCTE(st, "SELECT conference_id FROM "+ent, false)
			body = "SELECT e.id AS key, " + st + ".status AS grp, " + grp2 + " AS grp2 FROM " + ent + " e JOIN " + st + " ON " + st + ".id = e.conference_id"
		}
	case gb == "issueCode":
		// sel adds the issue-code argument, so it is built only by the branches that use it: an
		// unused placeholder leaves PostgreSQL unable to type it (SQLSTATE 42P18).
		sel := func(on string) string {
			return " i.code AS grp, " + grp2 + " AS grp2" + issueLiveJoin(entJoin(on)) + " AND " + and(b.issueCodePred("i", f))
		}
		switch kind {
		case kindConf:
			body = "SELECT DISTINCT " + issueAttr + " AS key," + sel("s.conference_id")
		case kindSess:
			body = "SELECT DISTINCT i.session_id AS key," + sel("i.session_id")
		case kindConn:
			body = "SELECT DISTINCT i.connection_id AS key," + sel("i.connection_id")
		case kindIssue:
			body = "SELECT id AS key, code AS grp, " + grp2 + " AS grp2 FROM " + ent
		}
	case gb == "connectionType":
		t := connTypeName("cn") + " AS grp, " + grp2 + " AS grp2"
		live := func(on string) string {
			return " FROM app_connection cn JOIN app_session s ON s.id = cn.session_id AND s.is_active" + entJoin(on) + " WHERE cn.is_active"
		}
		switch kind {
		case kindConf:
			body = "SELECT DISTINCT cn.conference_id AS key, " + t + live("cn.conference_id")
		case kindSess:
			body = "SELECT DISTINCT cn.session_id AS key, " + t + live("cn.session_id")
		case kindConn:
			body = "SELECT e.id AS key, " + connTypeName("e") + " AS grp, " + grp2 + " AS grp2 FROM " + ent + " e"
		case kindIssue:
			body = "SELECT e.id AS key, " + t + " FROM " + ent + " e JOIN app_connection cn ON cn.id = e.connection_id"
		}
	default:
		body = "SELECT NULL::uuid AS key, ''::text AS grp, ''::text AS grp2 WHERE false"
	}
	return pre + ",\n" + name + " AS MATERIALIZED (" + body + ")"
}

// directGroup is the group value of an entity that carries it in its own CTE row (alias): a
// session's dimensions, a conference's status. Reading it in place spares a join between two CTEs,
// whose row estimates the planner often gets wrong.
func directGroup(groupBy string, kind entityKind, alias string) (grp, grp2 string, ok bool) {
	switch {
	case kind == kindSess && sessionDims[groupBy] != "":
		grp2 = "''::text"
		if groupBy == "city" {
			grp2 = sessDim("country", alias)
		}
		return sessDim(groupBy, alias), grp2, true
	case kind == kindConf && groupBy == "status":
		return alias + ".status", "''::text", true
	}
	return "", "", false
}

// issueCTEs writes iss(id, code, type, created_at, data, session_id, connection_id, conference_id): the
// active issues the query counts, attributed to a conference through their connection, else their
// session, when conference_id is NULL (every issue has a session). Session filters apply to the issue's
// session, filters.issueCode to its code, conference filters to the conference it is attributed to.
//
// inConf anchors the issues on the conferences of the CTE conf (conferences created in the range, all
// filters applied: "the issues of these conferences", so that a count links to exactly the conferences
// list); otherwise the issues are those created in the range (time series), and the conference filters
// (scope, duration, search, status) are applied here. The result starts with ",\n".
//
// once is for a statement that reads iss once: without a status gate, iss is then written without
// MATERIALIZED, so its unread columns (data, JSON) stay out of its sorts (issueSummary, 30 days of
// seed30: 686-757 → 610-617 ms of SQL). only narrows iss to these issue codes for a statement that
// reads no other (gumErrors): the code test then runs on the issue scan, before the joins (≈ 1 s less
// at seed30 scale, 10k of 147k issues).
func (b *sqlb) issueCTEs(q query.Query, s Scope, inConf, once bool, only ...string) string {
	f := q.Filters
	preds := append([]string{b.participantPred("s.participant_id", f), b.issueCodePred("i", f)}, b.sessionDimPreds("s", f)...)
	if len(only) > 0 {
		preds = append(preds, "i.code = ANY("+b.p(only)+"::text[])")
	}
	join := ""
	if inConf {
		// The first join lets the planner start from the sessions of the conferences; joins rather
		// than IN (SELECT id FROM conf) for the reason given at statusCTE.
		join = "\n  JOIN conf ic ON ic.id = s.conference_id JOIN conf iac ON iac.id = " + issueAttr
	} else {
		join = "\n  JOIN conference c ON c.id = " + issueAttr
		preds = append(preds, b.rangePred("i", q), "c.is_active", b.scopePred("c", s, q.AppID))
		preds = append(preds, b.confOwnPreds("c", f)...)
	}
	statusGate := !inConf && len(f.Status) > 0
	name := "iss" // materialized once under its final name unless the status gate follows
	if statusGate {
		name = "iss0"
	}
	sql := `,
` + name + materialized(once && !statusGate) + `SELECT i.id, i.code, i.type, i.created_at, i.data, i.session_id, i.connection_id, ` + issueAttr + ` AS conference_id
  FROM app_issue i JOIN app_session s ON s.id = i.session_id AND s.is_active
  LEFT JOIN app_connection cn ON cn.id = i.connection_id` + join + `
  WHERE i.is_active AND (i.connection_id IS NULL OR cn.is_active) AND ` + and(preds...) + ")"
	if statusGate {
		return sql + ",\n" + statusCTE("istat", "SELECT conference_id FROM iss0", false) +
			",\niss AS (SELECT * FROM iss0 WHERE conference_id IN (SELECT id FROM istat WHERE status = ANY(" + b.p(f.Status) + "::text[])))"
	}
	return sql
}

// withCTEs joins an entityCTEs result ("WITH …", or "" when no entity set is needed) and further CTEs
// that each start with ",\n".
func withCTEs(entity string, more ...string) string {
	out := entity
	for _, m := range more {
		if out == "" {
			out = "WITH " + m[2:]
			continue
		}
		out += m
	}
	return out
}
