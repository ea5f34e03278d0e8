package store

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// issueCatalog is what peermetrics-schema.md says about the issue codes the API writes: severity
// (e/w) and display title. An unknown code is shown as itself, its severity read from its rows.
var issueCatalog = map[string]struct{ severity, title string }{
	"no_media_access":         {"e", "Could not access any media device"},
	"ice_failed":              {"e", "Connection could not be established"},
	"no_connection":           {"e", "The participant could not establish a connection"},
	"very_low_emos":           {"e", "The participant had a very bad experience during the conference"},
	"getusermedia_error":      {"w", "Problem accessing media"},
	"icecandidateerror":       {"w", "ICE candidate error"},
	"connection_disconnected": {"w", "Connection disconnected"},
	"connection_failed":       {"e", "Connection failed"},
	"multiple_rejoins":        {"w", "Multiple rejoins"},
	"tcp_used":                {"w", "Media sent over TCP"},
	"turn_used":               {"w", "Connection relayed through a TURN server"},
	"low_emos":                {"w", "Participant had a less than ideal experience"},
}

// issueCodeTitle is the display title of an issue code (the code itself when unknown).
func issueCodeTitle(code string) string {
	if c, ok := issueCatalog[code]; ok {
		return c.title
	}
	return code
}

// Issue summary definitions: the active issues of the conferences created in the range (all filters
// applied to the conferences; session filters also to the issue's own session; filters.issueCode to
// the codes shown), attributed through their connection, else their session, when conference_id is
// NULL. count = issues, conferences/sessions = distinct ones among them. Anchoring on the conferences
// (not on the issue's created_at) makes the conferences number equal the size of the conferences list
// filtered by that code over the same range, which the link opens. Ordered by count, then code.
func init() { register(query.TypeIssueSummary, runIssueSummary) }

func runIssueSummary(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	b := &sqlb{}
	sql := withCTEs(b.entityCTEs(q, s.scope, need{conf: true}), b.issueCTEs(q, s.scope, true)) + `
SELECT code, bool_or(type = 'e'), count(*), count(DISTINCT conference_id), count(DISTINCT session_id)
FROM iss GROUP BY code ORDER BY 3 DESC, code COLLATE "C"`
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var codes, titles, severities []string
	var counts, confs, sessions []int64
	for rows.Next() {
		var code string
		var hasError bool
		var n, c, ss int64
		if err := rows.Scan(&code, &hasError, &n, &c, &ss); err != nil {
			return nil, err
		}
		sev := "warning"
		if cat, ok := issueCatalog[code]; ok {
			if cat.severity == "e" {
				sev = "error"
			}
		} else if hasError {
			sev = "error"
		}
		codes, titles, severities = append(codes, code), append(titles, issueCodeTitle(code)), append(severities, sev)
		counts, confs, sessions = append(counts, n), append(confs, c), append(sessions, ss)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	f := data.NewFrame("issueSummary",
		frames.Config(data.NewField("code", nil, codes), "Code", ""),
		frames.Config(data.NewField("title", nil, titles), "Issue", ""),
		frames.Config(data.NewField("severity", nil, severities), "Severity", ""),
		frames.Config(data.NewField("count", nil, counts), "Issues", "none"),
		frames.Config(data.NewField("conferences", nil, confs), "Conferences", "none"),
		frames.Config(data.NewField("sessions", nil, sessions), "Sessions", "none"),
	)
	frames.Meta(f, data.FrameTypeNumericLong, data.VisTypeTable, sql, b.args)
	link := func() string {
		return frames.To(frames.DashConferences).Range(q.From, q.To).Filters(q).Set("issueCode").
			Raw("var-issueCode=${__data.fields.code:percentencode}").String()
	}
	frames.AddLink(f.Fields[3], "Conferences with this issue", link())
	frames.AddLink(f.Fields[4], "Conferences with this issue", link())
	return data.Frames{f}, nil
}
