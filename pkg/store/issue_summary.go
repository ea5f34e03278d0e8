package store

import (
	"context"
	"sort"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// Issue summary definitions: the active issues of the conferences created in the range (all filters
// applied to the conferences; session filters also to the issue's own session; filters.issueCode to
// the codes shown), attributed through their connection, else their session, when conference_id is
// NULL. count = issues, conferences/sessions = distinct ones among them. Anchoring on the conferences
// (not on the issue's created_at) makes the conferences number equal the size of the conferences list
// filtered by that code over the same range, which the link opens. Ordered by count, then code.
//
// source: "stored" for the issues the API wrote, "derived" for the threshold issues the plugin
// derives from the stats samples (DerivedIssues: count = episodes, conferences and sessions distinct
// among them). Derived rows are included only when the query names a conferenceId, sessionId or
// connectionId — deriving for the whole fleet would parse every sample of the range — and then the
// stored rows are narrowed to that entity too (the issues of the conference, of the session, of the
// connection), so both sources count the same calls. A frame notice says which case applies. A
// derived episode counts when it overlaps the range (its samples' times, not the conference's
// created_at); filters.issueCode and filters.status apply to it as to the stored ones. The
// conferences link of a derived row opens a list that finds nothing: the conferences list filters
// on stored issues.
func init() { register(query.TypeIssueSummary, runIssueSummary) }

func runIssueSummary(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	b := &sqlb{}
	var preds []string
	if q.ConferenceID != "" {
		preds = append(preds, "conference_id IN (SELECT c.id FROM conference c WHERE "+b.confTargetPred("c", q.ConferenceID)+")")
	}
	if q.SessionID != "" {
		preds = append(preds, "session_id = "+b.p(q.SessionID)+"::uuid")
	}
	if q.ConnectionID != "" {
		preds = append(preds, "connection_id = "+b.p(q.ConnectionID)+"::uuid")
	}
	where := ""
	if len(preds) > 0 {
		where = " WHERE " + and(preds...)
	}
	sql := withCTEs(b.entityCTEs(q, s.scope, need{conf: true}), b.issueCTEs(q, s.scope, true, true)) + `
SELECT code, bool_or(type = 'e'), count(*), count(DISTINCT conference_id), count(DISTINCT session_id)
FROM iss` + where + ` GROUP BY code ORDER BY 3 DESC, code COLLATE "C"`
	type row struct {
		code, title, severity, source string
		count, confs, sessions        int64
	}
	var out []row
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var r row
		var hasError bool
		if err := rows.Scan(&r.code, &hasError, &r.count, &r.confs, &r.sessions); err != nil {
			return nil, err
		}
		r.severity = "warning"
		if cat, ok := IssueTitles[r.code]; ok {
			r.severity = cat.Severity
		} else if hasError {
			r.severity = "error"
		}
		r.title, r.source = issueCodeTitle(r.code), "stored"
		out = append(out, r)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	der, err := s.derivedForQuery(ctx, q)
	if err != nil {
		return nil, err
	}
	byCode := map[string]*row{}
	confs, sessions := map[string]map[string]bool{}, map[string]map[string]bool{}
	var order []string
	for _, d := range der.issues {
		r := byCode[d.Code]
		if r == nil {
			r = &row{code: d.Code, title: issueCodeTitle(d.Code), severity: IssueTitles[d.Code].Severity, source: "derived"}
			byCode[d.Code], confs[d.Code], sessions[d.Code] = r, map[string]bool{}, map[string]bool{}
			order = append(order, d.Code)
		}
		r.count++
		confs[d.Code][d.ConferenceID], sessions[d.Code][d.SessionID] = true, true
	}
	for _, c := range order {
		r := byCode[c]
		r.confs, r.sessions = int64(len(confs[c])), int64(len(sessions[c]))
		out = append(out, *r)
	}
	// Count, then code (byte order, as COLLATE "C"); the stored order is kept among equals.
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].count != out[j].count {
			return out[i].count > out[j].count
		}
		return out[i].code < out[j].code
	})
	var codes, titles, severities, sources []string
	var counts, nconfs, nsessions []int64
	for _, r := range out {
		codes, titles, severities, sources = append(codes, r.code), append(titles, r.title), append(severities, r.severity), append(sources, r.source)
		counts, nconfs, nsessions = append(counts, r.count), append(nconfs, r.confs), append(nsessions, r.sessions)
	}
	fCount := frames.Config(data.NewField("count", nil, counts), "Issues", "none")
	fConfs := frames.Config(data.NewField("conferences", nil, nconfs), "Conferences", "none")
	f := data.NewFrame("issueSummary",
		frames.Config(data.NewField("code", nil, codes), "Code", ""),
		frames.Config(data.NewField("title", nil, titles), "Issue", ""),
		frames.Config(data.NewField("severity", nil, severities), "Severity", ""),
		frames.Config(data.NewField("source", nil, sources), "Source", ""),
		fCount, fConfs,
		frames.Config(data.NewField("sessions", nil, nsessions), "Sessions", "none"),
	)
	frames.Meta(f, data.FrameTypeNumericLong, data.VisTypeTable, sql, b.args)
	if len(der.issues) > 0 || !derivedFor(q) {
		frames.Notice(f, data.NoticeSeverityInfo, derivedNotice(q, len(der.issues)))
	}
	link := func() string {
		return frames.To(frames.DashConferences).Range(q.From, q.To).Filters(q).Set("issueCode").
			Raw("var-issueCode=${__data.fields.code:percentencode}").String()
	}
	frames.AddLink(fCount, "Conferences with this issue", link())
	frames.AddLink(fConfs, "Conferences with this issue", link())
	return data.Frames{f}, nil
}
