package store

import (
	"context"
	"sort"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
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
// and a one-line summary of their data (legacy shapes included). source is "stored" for the issues
// the API wrote and "derived" for the threshold issues the plugin derives from the stats samples
// (derivedForQuery: only when a conferenceId, sessionId or connectionId is named, and only from the
// samples of the time range, whereas the stored issues of a named entity ignore the range). A
// derived row's id is derived:<code>:<connection>:<start>, its time the start of the episode, its
// summary what breached and how far. Paging (limit, offset, total) runs over both sources.
func runIssues(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	der, err := s.derivedForQuery(ctx, q)
	if err != nil {
		return nil, err
	}
	b := &sqlb{}
	from, where := b.issueRows(q, s.scope, !byID(q))
	gate, gatePred := b.statusGate(q, "FROM "+from+" WHERE "+where)
	base := `SELECT i.id::text AS id, i.created_at AS time, i.code, ` + issueTitleSQL("i.code") + ` AS title,
  ` + severitySQL("i.type") + ` AS severity, 'stored'::text AS source, s.id::text AS session,
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
		{name: "source", display: "Source", kind: kStr},
		{name: "session", display: "Session", kind: kStr},
		{name: "conference", display: "Conference", kind: kStr},
		{name: "participant", display: "Participant", kind: kStr},
		{name: "participantId", display: "Participant id", kind: kStr},
		{name: "name", display: "Name", kind: kStr, null: true},
		{name: "connection", display: "Connection", kind: kStr, null: true},
		{name: "summary", display: "Details", kind: kStr},
	}
	sqlCols := []string{"id", "time", "code", "title", "severity", "source", "session", "conference", "participant", "participant_id",
		"name", "connection", "summary"}
	sq := pageWithExtra(q, len(der.issues))
	sql := b.pageSQL(sq, []string{gate}, base, sqlCols, []string{"time", "id"})
	f, total, err := s.runTable(ctx, "issues", sq, sql, b.args, cols)
	if err != nil {
		return nil, err
	}
	if len(der.issues) > 0 {
		extra := make([][]any, 0, len(der.issues))
		for _, d := range der.issues {
			conn := d.ConnectionID
			var name *string
			if n := der.partName[d.ParticipantID]; n != "" {
				name = &n
			}
			extra = append(extra, []any{derivedID(d), d.Time, d.Code, d.Title, d.Severity, d.Source, d.SessionID,
				d.ConferenceID, d.ParticipantID, der.partID[d.ParticipantID], name, &conn, d.Text})
		}
		mergePage(f, q, total, extra)
	}
	if len(der.issues) > 0 || !derivedFor(q) {
		frames.Notice(f, data.NoticeSeverityInfo, derivedNotice(q, len(der.issues)))
	}
	linkSession(frameField(f, "session"))
	linkConnection(frameField(f, "connection"))
	linkConference(frameField(f, "conference"))
	linkParticipant(frameField(f, "participant"), frameField(f, "participantId"))
	return data.Frames{f}, nil
}

// pageWithExtra is the page of stored rows to read when n extra rows are merged in: the first
// offset+limit rows, from which mergePage keeps the page of the union.
func pageWithExtra(q query.Query, n int) query.Query {
	if n == 0 {
		return q
	}
	q.Limit, q.Offset = q.Offset+q.Limit, 0
	return q
}

// mergePage merges extra rows (values in the field order of f, sorted by time then id) into the
// table frame f, whose rows are the first offset+limit stored rows in (time, id) order (field 0 the
// id, field 1 the time), and keeps the page [offset, offset+limit) of the union; total is the
// number of stored rows, and the page notice and total are rewritten for the union.
func mergePage(f *data.Frame, q query.Query, total int64, extra [][]any) {
	rows := make([][]any, 0, f.Rows()+len(extra))
	for i := 0; i < f.Rows(); i++ {
		rows = append(rows, f.RowCopy(i))
	}
	rows = append(rows, extra...)
	key := func(r []any) (time.Time, string) { return r[1].(time.Time), r[0].(string) }
	sort.SliceStable(rows, func(i, j int) bool {
		ti, ii := key(rows[i])
		tj, ij := key(rows[j])
		if !ti.Equal(tj) {
			return ti.Before(tj)
		}
		return ii < ij
	})
	lo := min(q.Offset, len(rows))
	hi := min(lo+q.Limit, len(rows))
	for i, fld := range f.Fields {
		nf := data.NewFieldFromFieldType(fld.Type(), 0)
		nf.Name, nf.Labels, nf.Config = fld.Name, fld.Labels, fld.Config
		for _, r := range rows[lo:hi] {
			nf.Append(r[i])
		}
		f.Fields[i] = nf
	}
	f.Meta.Notices = nil
	pageNotes(f, q, total+int64(len(extra)))
}
