package store

import (
	"context"
	"slices"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// Breakdowns by a session dimension (browser, os, country, city, appVersion, sdk) share one
// statement that groups the range's sessions and conferences by all six at once (GROUPING SETS);
// each breakdown keeps its own dimension's rows, then orders and pages them as runBreakdown does.
// The definitions are runBreakdown's. Why: a dashboard shows several of these breakdowns with the
// same filters and range, and each statement is a pass over every session (JSON included), every
// issue and every conference of the range; through Store.Share the dashboard's breakdowns run that
// pass once instead of once per panel.

// sessionDimCols are the session dimensions in the order of the shared statement's columns.
var sessionDimCols = []struct{ name, col string }{
	{"browser", "browser"}, {"os", "os"}, {"city", "city"}, {"country", "country"}, {"appVersion", "app_version"}, {"sdk", "sdk"},
}

// sessionBreakdown is the shared statement's result: every dimension's groups, and what ran.
type sessionBreakdown struct {
	Rows     map[string][]breakdownRow `json:"rows"` // by dimension, unordered
	Executed string                    `json:"executed"`
}

func runSessionBreakdown(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	shared := q
	shared.GroupBy, shared.Limit, shared.Offset = "", 0, 0
	all, err := shareJSON(ctx, s, "sessionBreakdown", shared, func(ctx context.Context) (sessionBreakdown, error) {
		return s.sessionBreakdownAll(ctx, shared)
	})
	if err != nil {
		return nil, err
	}
	rows := slices.Clone(all.Rows[q.GroupBy])
	// runBreakdown's order: sessions, then conferences (both descending), then value and country
	// byte-wise (COLLATE "C").
	slices.SortFunc(rows, func(a, b breakdownRow) int {
		switch {
		case a.Sessions != b.Sessions:
			return cmpDesc(a.Sessions, b.Sessions)
		case a.Conferences != b.Conferences:
			return cmpDesc(a.Conferences, b.Conferences)
		case a.Value != b.Value:
			return strings.Compare(a.Value, b.Value)
		}
		return strings.Compare(a.Country, b.Country)
	})
	rows = rows[min(q.Offset, len(rows)):]
	rows = rows[:min(q.Limit, len(rows))]
	return breakdownFrames(q, rows, all.Executed), nil
}

func cmpDesc(a, b int64) int {
	if a > b {
		return -1
	}
	return 1
}

// sessionBreakdownAll runs the shared statement for q (no group-by, limit or offset).
func (s *Store) sessionBreakdownAll(ctx context.Context, q query.Query) (sessionBreakdown, error) {
	b := &sqlb{}
	f := q.Filters
	dims := func(alias string) string {
		var cols []string
		for _, d := range sessionDimCols {
			cols = append(cols, dim(d.name, alias)+" AS "+d.col)
		}
		return strings.Join(cols, ", ")
	}
	var sessCols []string
	for _, d := range sessionDimCols {
		sessCols = append(sessCols, sessDim(d.name, "sess")+" AS "+d.col)
	}
	gpreds := append([]string{"gs.is_active"}, b.sessionDimPreds("gs", f)...)
	gpreds = append(gpreds, b.participantPred("gs.participant_id", f))
	// A conference's groups come from all its active sessions that match the session filters. Those
	// created in the range are rows of sess already (with their dimensions extracted) unless sess is
	// narrowed by an issue-code filter; only the others are read again from app_session.
	gcInRange := ""
	if len(f.IssueCode) == 0 {
		gcInRange = `SELECT sess.conference_id AS key, ` + strings.Join(sessCols, ", ") + `
  FROM sess JOIN conf ge ON ge.id = sess.conference_id
  UNION ALL
  `
		gpreds = append(gpreds, "(gs.created_at < "+b.p(q.From)+" OR gs.created_at >= "+b.p(q.To)+" OR gs.created_at IS NULL)")
	}
	// GROUPING(x) = 0 names the set a row belongs to; a session dimension is never NULL
	// ("unknown"/"none"), so the first non-NULL column is the set's value (city before country).
	const sets = `GROUPING SETS ((browser), (os), (city, country), (country), (app_version), (sdk))`
	const setCols = `CASE WHEN GROUPING(browser) = 0 THEN 'browser' WHEN GROUPING(os) = 0 THEN 'os'
    WHEN GROUPING(city) = 0 THEN 'city' WHEN GROUPING(country) = 0 THEN 'country'
    WHEN GROUPING(app_version) = 0 THEN 'appVersion' ELSE 'sdk' END AS dim,
  COALESCE(browser, os, city, country, app_version, sdk) AS grp,
  CASE WHEN GROUPING(city) = 0 THEN country ELSE '' END AS grp2`
	sql := b.entityCTEs(q, s.scope, need{conf: true, sess: true, sessDims: true, sessGeo: true}) + `,
si AS (SELECT i.session_id, count(*) AS issues, bool_or(i.type = 'e') AS has_error FROM app_issue i
  JOIN sess ss ON ss.id = i.session_id LEFT JOIN app_connection cn ON cn.id = i.connection_id
  WHERE i.is_active AND (i.connection_id IS NULL OR cn.is_active) AND ` + and(b.issueCodePred("i", f)) + `
  GROUP BY 1),
sd0 AS (SELECT ` + strings.Join(sessCols, ", ") + `, si.issues, si.has_error, sess.la0, sess.lo0
  FROM sess LEFT JOIN si ON si.session_id = sess.id),
sd AS (SELECT *, la0 BETWEEN -90 AND 90 AND lo0 BETWEEN -180 AND 180 AND NOT (la0 = 0 AND lo0 = 0) AS geo_ok FROM sd0),
sa AS (SELECT ` + setCols + `, count(*) AS sessions, COALESCE(sum(issues), 0) AS issues,
    count(*) FILTER (WHERE has_error) AS errs, avg(la0) FILTER (WHERE geo_ok) AS la, avg(lo0) FILTER (WHERE geo_ok) AS lo
  FROM sd GROUP BY ` + sets + `),
gc AS MATERIALIZED (` + gcInRange + `SELECT gs.conference_id AS key, ` + dims("gs") + `
  FROM app_session gs JOIN conf ge ON ge.id = gs.conference_id WHERE ` + and(gpreds...) + `),
ca AS (SELECT ` + setCols + `, count(DISTINCT key) AS conferences FROM gc GROUP BY ` + sets + `),
-- conferences without a matching session: the group "none" of every dimension
cnone AS (SELECT count(*) AS n FROM conf LEFT JOIN (SELECT DISTINCT key FROM gc) k ON k.key = conf.id WHERE k.key IS NULL)
SELECT 's', dim, grp, grp2, sessions, issues, errs, la, lo FROM sa
UNION ALL SELECT 'c', dim, grp, grp2, conferences, 0, 0, NULL, NULL FROM ca
UNION ALL SELECT 'n', '', 'none', '', n, 0, 0, NULL, NULL FROM cnone WHERE n > 0`
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return sessionBreakdown{}, err
	}
	defer rows.Close()
	type key struct{ dim, value, country string }
	byKey := map[key]*breakdownRow{}
	get := func(k key) *breakdownRow {
		r := byKey[k]
		if r == nil {
			r = &breakdownRow{Value: k.value, Country: k.country}
			byKey[k] = r
		}
		return r
	}
	for rows.Next() {
		var kind, d, v, c string
		var n, issues, errs int64
		var la, lo *float64
		if err := rows.Scan(&kind, &d, &v, &c, &n, &issues, &errs, &la, &lo); err != nil {
			return sessionBreakdown{}, err
		}
		switch kind {
		case "s":
			r := get(key{d, v, c})
			r.Sessions, r.Issues, r.Errors, r.Lat, r.Lon = n, issues, errs, la, lo
		case "c":
			get(key{d, v, c}).Conferences += n
		case "n":
			for _, sd := range sessionDimCols {
				get(key{sd.name, "none", ""}).Conferences += n
			}
		}
	}
	if err := rows.Err(); err != nil {
		return sessionBreakdown{}, err
	}
	out := sessionBreakdown{Rows: map[string][]breakdownRow{}, Executed: frames.Executed(sql, b.args)}
	for k, r := range byKey {
		out.Rows[k.dim] = append(out.Rows[k.dim], *r)
	}
	return out, nil
}
