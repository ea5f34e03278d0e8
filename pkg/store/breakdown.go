package store

import (
	"context"
	"encoding/json"
	"regexp"
	"strconv"
	"strings"

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

// geoCoord reads a coordinate of geo_ip (the JSON value, nil for SQL NULL): a JSON number within
// ±1000, or a string holding a plain decimal with up to three integer digits and optional ASCII
// spaces around it, as float8; ok is false for anything else. It is the plugin's copy of the SQL reader
// that used to run per session (CASE jsonb_typeof … ::numeric BETWEEN … ::float8, pinned by
// TestGeoCoordMatchesPostgres), whose numeric-to-float8 casts were ~0.5 s of the session breakdown
// at seed30 scale. PostgreSQL casts numeric to float8 through its decimal text, which is the text
// jsonb prints, so ParseFloat (correctly rounded, as float8in) gives the same double.
func geoCoord(raw []byte) (v float64, ok bool) {
	var text string
	switch {
	case len(raw) == 0:
		return 0, false
	case raw[0] == '"':
		if json.Unmarshal(raw, &text) != nil {
			return 0, false
		}
		text = strings.Trim(text, " \t\n\v\f\r")
		if !geoDecimal.MatchString(text) {
			return 0, false
		}
	case raw[0] == '-' || raw[0] >= '0' && raw[0] <= '9':
		text = string(raw)
		if !withinThousand(text) {
			return 0, false
		}
	default: // true, false, null, an object or a list
		return 0, false
	}
	v, err := strconv.ParseFloat(text, 64)
	return v, err == nil
}

var geoDecimal = regexp.MustCompile(`^-?[0-9]{1,3}(\.[0-9]+)?$`)

// withinThousand says whether a number as jsonb prints it (plain decimal digits, never an exponent)
// lies in [-1000, 1000], exactly: 1000.0000000000000000001 does not, though its double is 1000.
func withinThousand(n string) bool {
	n = strings.TrimPrefix(n, "-")
	whole, frac, _ := strings.Cut(n, ".")
	whole = strings.TrimLeft(whole, "0")
	switch {
	case len(whole) < 4:
		return true
	case len(whole) > 4 || whole > "1000":
		return false
	case whole < "1000":
		return true
	}
	return strings.Trim(frac, "0") == ""
}

func init() { register(query.TypeBreakdown, runBreakdown) }

// runBreakdown runs the group-bys that are not session dimensions (status, issueCode,
// connectionType); those are in breakdown_sessions.go.
func runBreakdown(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	if sessionDims[q.GroupBy] != "" {
		return runSessionBreakdown(ctx, s, q)
	}
	b := &sqlb{}
	gb := q.GroupBy
	codes := and(b.issueCodePred("i", q.Filters))
	sql := withCTEs(b.entityCTEs(q, s.scope, need{conf: true, sess: true, status: q.GroupBy == "status"}),
		b.groupCTEs(q, kindConf, "conf", "gc"), b.groupCTEs(q, kindSess, "sess", "gs")) + `,
si AS (SELECT i.session_id, count(*) AS issues, bool_or(i.type = 'e') AS has_error FROM app_issue i
  JOIN sess ss ON ss.id = i.session_id LEFT JOIN app_connection cn ON cn.id = i.connection_id
  WHERE i.is_active AND ` + b.sincePred("i", q) + ` AND (i.connection_id IS NULL OR cn.is_active) AND ` + codes + `
  GROUP BY 1),
sic AS (SELECT i.session_id, i.code, count(*) AS issues FROM app_issue i
  JOIN sess ss ON ss.id = i.session_id LEFT JOIN app_connection cn ON cn.id = i.connection_id
  WHERE ` + sprintf("%t", gb == "issueCode") + ` AND i.is_active AND ` + b.sincePred("i", q) + ` AND (i.connection_id IS NULL OR cn.is_active) AND ` + codes + `
  GROUP BY 1, 2),
sa AS (SELECT COALESCE(g.grp, 'none') AS grp, COALESCE(g.grp2, '') AS grp2, count(*) AS sessions,
    COALESCE(sum(` + map[bool]string{true: "sic.issues", false: "si.issues"}[gb == "issueCode"] + `), 0) AS issues,
    count(*) FILTER (WHERE si.has_error) AS errs
  FROM sess LEFT JOIN gs g ON g.key = sess.id
  LEFT JOIN si ON si.session_id = sess.id
  LEFT JOIN sic ON sic.session_id = sess.id AND sic.code = g.grp
  GROUP BY 1, 2),
ca AS (SELECT COALESCE(g.grp, 'none') AS grp, COALESCE(g.grp2, '') AS grp2, count(*) AS conferences
  FROM conf LEFT JOIN gc g ON g.key = conf.id GROUP BY 1, 2)
SELECT COALESCE(sa.grp, ca.grp), COALESCE(sa.grp2, ca.grp2), COALESCE(sa.sessions, 0), COALESCE(ca.conferences, 0),
  COALESCE(sa.issues, 0), COALESCE(sa.errs, 0), NULL::float8, NULL::float8
FROM sa FULL JOIN ca ON ca.grp = sa.grp AND ca.grp2 = sa.grp2
ORDER BY 3 DESC, 4 DESC, COALESCE(sa.grp, ca.grp) COLLATE "C", COALESCE(sa.grp2, ca.grp2) COLLATE "C"
LIMIT ` + b.p(q.Limit) + ` OFFSET ` + b.p(q.Offset)
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []breakdownRow
	for rows.Next() {
		var r breakdownRow
		if err := rows.Scan(&r.Value, &r.Country, &r.Sessions, &r.Conferences, &r.Issues, &r.Errors, &r.Lat, &r.Lon); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	return breakdownFrames(q, out, frames.Executed(sql, b.args)), nil
}

// breakdownRow is one group of a breakdown (Country: the city's country code, else "").
type breakdownRow struct {
	Value, Country                        string
	Sessions, Conferences, Issues, Errors int64
	Lat, Lon                              *float64
}

// breakdownFrames shapes the rows of q's group-by, already ordered and paged, into the frame.
func breakdownFrames(q query.Query, rows []breakdownRow, executed string) data.Frames {
	gb := q.GroupBy
	values, countries := []string{}, []string{}
	var sessions, conferences, issues []int64
	var rates, lats, lons []*float64
	for _, r := range rows {
		values, countries = append(values, r.Value), append(countries, r.Country)
		sessions, conferences, issues = append(sessions, r.Sessions), append(conferences, r.Conferences), append(issues, r.Issues)
		rates, lats, lons = append(rates, pct(r.Errors, r.Sessions)), append(lats, r.Lat), append(lons, r.Lon)
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
	frames.Meta(f, data.FrameTypeNumericLong, data.VisTypeTable, executed, nil)
	switch gb {
	case "browser", "os", "country", "appVersion", "sdk", "status", "issueCode":
		frames.AddLink(fConf, "Conferences of this "+breakdownTitles[gb], frames.To(frames.DashConferences).Range(q.From, q.To).
			Filters(q).Set(gb).Raw("var-"+gb+"=${__data.fields."+gb+":percentencode}").String())
	}
	return data.Frames{f}
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
