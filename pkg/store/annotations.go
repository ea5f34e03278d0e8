package store

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

func init() { register(query.TypeAnnotations, runAnnotations) }

// Issues as Grafana annotations. Grafana turns a frame into annotations by field name: time,
// title, text and tags, where tags is a string split on commas (Grafana's
// getAnnotationsFromData), here "code,severity,source". Issues are point events, so there is no
// timeEnd. Unlike the lists, annotations always follow the dashboard's time range (on the issue's
// created_at); conferenceId, sessionId, connectionId and every filter narrow them as in issues.
// When a conferenceId, sessionId or connectionId is named, the derived threshold issues of its
// connections (source derived, at the start of each episode overlapping the range, its length in
// the text) are annotations too; without one, only the stored issues (a frame notice says so).
// At most limit annotations, the earliest first; a notice says when more exist.
func runAnnotations(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	der, err := s.derivedForQuery(ctx, q)
	if err != nil {
		return nil, err
	}
	b := &sqlb{}
	from, where := b.issueRows(q, s.scope, true)
	gate, gatePred := b.statusGate(q, "FROM "+from+" WHERE "+where)
	base := `SELECT i.id::text AS id, i.created_at AS time, ` + issueTitleSQL("i.code") + ` AS title,
  concat_ws(' · ', ` + severitySQL("i.type") + `,
    'participant ' || COALESCE(NULLIF(p.participant_name, ''), p.participant_id),
    'conference ' || COALESCE(NULLIF(c.conference_name, ''), c.conference_id),
    NULLIF(` + issueDataSQL("i.data") + `, '')) AS text,
  i.code || ',' || ` + severitySQL("i.type") + ` || ',stored' AS tags
FROM ` + from + `
LEFT JOIN participant p ON p.id = COALESCE(i.participant_id, s.participant_id)
WHERE ` + where + gatePred
	cols := []tcol{
		{name: "id", display: "Issue", kind: kStr},
		{name: "time", display: "Time", kind: kTime},
		{name: "title", display: "Title", kind: kStr},
		{name: "text", display: "Text", kind: kStr},
		{name: "tags", display: "Tags", kind: kStr},
	}
	sq := pageWithExtra(q, len(der.issues))
	sql := b.pageSQL(sq, []string{gate}, base, []string{"id", "time", "title", "text", "tags"}, []string{"time", "id"})
	f, total, err := s.runTable(ctx, "annotations", sq, sql, b.args, cols)
	if err != nil {
		return nil, err
	}
	if len(der.issues) > 0 {
		extra := make([][]any, 0, len(der.issues))
		for _, d := range der.issues {
			text := d.Severity + " · conference " + der.confName[d.ConferenceID] + " · " + d.Text
			extra = append(extra, []any{derivedID(d), d.Time, d.Title, text, d.Code + "," + d.Severity + "," + d.Source})
		}
		mergePage(f, q, total, extra)
	}
	if len(der.issues) > 0 || !derivedFor(q) {
		frames.Notice(f, data.NoticeSeverityInfo, derivedNotice(q, len(der.issues)))
	}
	f.Fields = f.Fields[1:] // the id only identifies rows
	return data.Frames{f}, nil
}
