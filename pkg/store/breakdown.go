package store

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// Breakdown definitions: one row per group value (groupby.go says how each entity reaches its values).
//   - sessions: sessions created in the range in the group (every filter applied).
//   - conferences: conferences created in the range in the group: having an active session with that
//     value (and matching the other session filters), that status, an active issue of that code, a
//     connection of that type. This is exactly what the conferences list shows for the same variable,
//     which the link opens (for browser, os, country, appVersion, sdk, status, issueCode).
//   - issues: active issues of those sessions (only the group's code when grouped by issueCode).
//   - errorRatePct: share of those sessions with at least one active error-severity (type e) issue.
//   - city: grouped by (city, country code); adds country, latitude and longitude (average of the
//     group's sessions with numeric coordinates in range, 0/0 skipped; null when none).
//
// Sessions without any value of a multi-valued group-by (no issue, no connection) form the group
// "none". Ordered by sessions, then conferences (both descending), then value; limit/offset apply.
const geoNum = `(CASE WHEN jsonb_typeof(%[1]s) = 'number' THEN (%[1]s)::float8
  WHEN jsonb_typeof(%[1]s) = 'string' AND (%[1]s #>> '{}') ~ '^\s*-?\d{1,3}(\.\d+)?\s*$' THEN (%[1]s #>> '{}')::float8 END)`

func init() { register(query.TypeBreakdown, runBreakdown) }

func runBreakdown(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	b := &sqlb{}
	gb := q.GroupBy
	codes := and(b.issueCodePred("i", q.Filters))
	// sess carries geo_ip only when grouped by a JSON dimension; coordinates are read for city alone.
	geoSQL := "SELECT NULL::uuid AS id, NULL::float8 AS la, NULL::float8 AS lo WHERE false"
	if gb == "city" {
		geoSQL = `SELECT id, la, lo FROM (SELECT id, ` + sprintf(geoNum, "geo_ip -> 'latitude'") + ` AS la, ` + sprintf(geoNum, "geo_ip -> 'longitude'") + ` AS lo
    FROM sess) x
  WHERE la BETWEEN -90 AND 90 AND lo BETWEEN -180 AND 180 AND NOT (la = 0 AND lo = 0)`
	}
	sql := withCTEs(b.entityCTEs(q, s.scope, need{conf: true, sess: true, status: q.GroupBy == "status", sessJSON: jsonDims[gb]}),
		b.groupCTEs(q, kindConf, "conf", "gc"), b.groupCTEs(q, kindSess, "sess", "gs")) + `,
si AS (SELECT i.session_id, count(*) AS issues, bool_or(i.type = 'e') AS has_error FROM app_issue i
  JOIN sess ss ON ss.id = i.session_id LEFT JOIN app_connection cn ON cn.id = i.connection_id
  WHERE i.is_active AND (i.connection_id IS NULL OR cn.is_active) AND ` + codes + `
  GROUP BY 1),
sic AS (SELECT i.session_id, i.code, count(*) AS issues FROM app_issue i
  JOIN sess ss ON ss.id = i.session_id LEFT JOIN app_connection cn ON cn.id = i.connection_id
  WHERE ` + sprintf("%t", gb == "issueCode") + ` AND i.is_active AND (i.connection_id IS NULL OR cn.is_active) AND ` + codes + `
  GROUP BY 1, 2),
geo AS (` + geoSQL + `),
sa AS (SELECT COALESCE(g.grp, 'none') AS grp, COALESCE(g.grp2, '') AS grp2, count(*) AS sessions,
    COALESCE(sum(` + map[bool]string{true: "sic.issues", false: "si.issues"}[gb == "issueCode"] + `), 0) AS issues,
    count(*) FILTER (WHERE si.has_error) AS errs, avg(geo.la) AS la, avg(geo.lo) AS lo
  FROM sess LEFT JOIN gs g ON g.key = sess.id
  LEFT JOIN si ON si.session_id = sess.id
  LEFT JOIN sic ON sic.session_id = sess.id AND sic.code = g.grp
  LEFT JOIN geo ON geo.id = sess.id
  GROUP BY 1, 2),
ca AS (SELECT COALESCE(g.grp, 'none') AS grp, COALESCE(g.grp2, '') AS grp2, count(*) AS conferences
  FROM conf LEFT JOIN gc g ON g.key = conf.id GROUP BY 1, 2)
SELECT COALESCE(sa.grp, ca.grp), COALESCE(sa.grp2, ca.grp2), COALESCE(sa.sessions, 0), COALESCE(ca.conferences, 0),
  COALESCE(sa.issues, 0), COALESCE(sa.errs, 0), sa.la, sa.lo
FROM sa FULL JOIN ca ON ca.grp = sa.grp AND ca.grp2 = sa.grp2
ORDER BY 3 DESC, 4 DESC, COALESCE(sa.grp, ca.grp) COLLATE "C", COALESCE(sa.grp2, ca.grp2) COLLATE "C"
LIMIT ` + b.p(q.Limit) + ` OFFSET ` + b.p(q.Offset)
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	values, countries := []string{}, []string{}
	var sessions, conferences, issues []int64
	var rates, lats, lons []*float64
	for rows.Next() {
		var v, c string
		var ns, nc, ni, ne int64
		var la, lo *float64
		if err := rows.Scan(&v, &c, &ns, &nc, &ni, &ne, &la, &lo); err != nil {
			return nil, err
		}
		values, countries = append(values, v), append(countries, c)
		sessions, conferences, issues = append(sessions, ns), append(conferences, nc), append(issues, ni)
		rates, lats, lons = append(rates, pct(ne, ns)), append(lats, la), append(lons, lo)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	f := data.NewFrame("breakdown", frames.Config(data.NewField(gb, nil, values), upperFirst(breakdownTitles[gb]), ""))
	if gb == "city" {
		f.Fields = append(f.Fields, frames.Config(data.NewField("country", nil, countries), "Country", ""))
	}
	fConf := frames.Config(data.NewField("conferences", nil, conferences), "Conferences", "none")
	f.Fields = append(f.Fields,
		frames.Config(data.NewField("sessions", nil, sessions), "Sessions", "none"),
		fConf,
		frames.Config(data.NewField("issues", nil, issues), "Issues", "none"),
		frames.Config(data.NewField("errorRatePct", nil, rates), "Sessions with errors", "percent"),
	)
	if gb == "city" {
		f.Fields = append(f.Fields,
			frames.Config(data.NewField("latitude", nil, lats), "Latitude", ""),
			frames.Config(data.NewField("longitude", nil, lons), "Longitude", ""))
	}
	frames.Meta(f, data.FrameTypeNumericLong, data.VisTypeTable, sql, b.args)
	switch gb {
	case "browser", "os", "country", "appVersion", "sdk", "status", "issueCode":
		frames.AddLink(fConf, "Conferences of this "+breakdownTitles[gb], frames.To(frames.DashConferences).Range(q.From, q.To).
			Filters(q).Set(gb).Raw("var-"+gb+"=${__data.fields."+gb+":percentencode}").String())
	}
	return data.Frames{f}, nil
}

var breakdownTitles = map[string]string{
	"browser": "browser", "os": "OS", "country": "country", "city": "city", "appVersion": "app version",
	"sdk": "SDK", "issueCode": "issue code", "status": "status", "connectionType": "connection type",
}

func upperFirst(s string) string {
	if s != "" && s[0] >= 'a' && s[0] <= 'z' {
		return string(s[0]-'a'+'A') + s[1:]
	}
	return s
}
