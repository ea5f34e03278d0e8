package store

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/query"
)

func init() { register(query.TypeIssues, runIssues) }

// issueRows is the FROM ... WHERE of the issues of a detail query (and of annotations): every issue
// has a session, so an issue whose conference_id is NULL is reached through its session (and its
// connection, which must be active when set). ranged applies the time range to the issue's own
// created_at.
func (b *sqlb) issueRows(q query.Query, sc Scope, ranged bool) (from, where string) {
	from = `app_issue i JOIN app_session s ON s.id = i.session_id JOIN conference c ON c.id = s.conference_id
  LEFT JOIN app_connection icn ON icn.id = i.connection_id`
	preds := append([]string{issueIsLiveSQL("i", "icn")}, b.detailPreds(q, sc, false)...)
	if q.ConnectionID != "" {
		preds = append(preds, "i.connection_id = "+b.p(q.ConnectionID)+"::uuid")
	}
	if ranged {
		preds = append(preds, b.rangePred("i", q))
	}
	if len(q.Filters.IssueCode) > 0 {
		preds = append(preds, "i.code = ANY("+b.p(q.Filters.IssueCode)+"::text[])")
	}
	return from, and(preds...)
}

// Issues of a conference, session, connection or participant, by time, with Peermetrics's titles
// and a one-line summary of their data (legacy shapes included).
func runIssues(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	b := &sqlb{}
	from, where := b.issueRows(q, s.scope, !byID(q))
	gate, gatePred := b.statusGate(q, "FROM "+from+" WHERE "+where)
	base := `SELECT i.id::text AS id, i.created_at AS time, i.code, ` + issueTitleSQL("i.code") + ` AS title,
  ` + severitySQL("i.type") + ` AS severity, s.id::text AS session,
  COALESCE(i.conference_id, icn.conference_id, s.conference_id)::text AS conference,
  p.id::text AS participant, p.participant_id, p.participant_name AS name, i.connection_id::text AS connection,
  ` + issueDataSQL("i.data") + ` AS summary
FROM ` + from + `
LEFT JOIN participant p ON p.id = COALESCE(i.participant_id, s.participant_id)
WHERE ` + where + gatePred
	cols := []tcol{
		{name: "id", display: "Issue", kind: kStr},
		{name: "time", display: "Time", kind: kTime},
		{name: "code", display: "Code", kind: kStr},
		{name: "title", display: "Title", kind: kStr},
		{name: "severity", display: "Severity", kind: kStr},
		{name: "session", display: "Session", kind: kStr},
		{name: "conference", display: "Conference", kind: kStr},
		{name: "participant", display: "Participant", kind: kStr},
		{name: "participantId", display: "Participant id", kind: kStr},
		{name: "name", display: "Name", kind: kStr, null: true},
		{name: "connection", display: "Connection", kind: kStr, null: true},
		{name: "summary", display: "Details", kind: kStr},
	}
	sqlCols := []string{"id", "time", "code", "title", "severity", "session", "conference", "participant", "participant_id",
		"name", "connection", "summary"}
	sql := b.pageSQL(q, []string{gate}, base, sqlCols, []string{"time", "id"})
	f, _, err := s.runTable(ctx, "issues", q, sql, b.args, cols)
	if err != nil {
		return nil, err
	}
	linkSession(frameField(f, "session"))
	linkConnection(frameField(f, "connection"))
	linkConference(frameField(f, "conference"))
	linkParticipant(frameField(f, "participant"), frameField(f, "participantId"))
	return data.Frames{f}, nil
}
