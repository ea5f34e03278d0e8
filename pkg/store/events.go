package store

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/query"
)

func init() { register(query.TypeEvents, runEvents) }

// Events of a conference, session, connection or participant, by time: category name, event type
// and a readable one-line summary of data built in SQL (getUserMedia errors and grants, connection,
// ICE and signaling states, ICE candidate errors, Jitsi lifecycle events, ...). Stats rows
// (category S) are left out: they are samples, not events, and connectionStats charts them.
// Issue codes have no dimension on events, so filters.issueCode does not narrow this list.
func runEvents(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	b := &sqlb{}
	from := `app_genericevent e JOIN app_session s ON s.id = e.session_id JOIN conference c ON c.id = s.conference_id
  LEFT JOIN app_connection ecn ON ecn.id = e.connection_id`
	preds := append([]string{"e.is_active", "e.category <> 'S'", "(e.connection_id IS NULL OR ecn.is_active)"},
		b.detailPreds(q, s.scope, false)...)
	if q.ConnectionID != "" {
		preds = append(preds, "e.connection_id = "+b.p(q.ConnectionID)+"::uuid")
	}
	if !byID(q) {
		preds = append(preds, b.rangePred("e", q))
	}
	where := and(preds...)
	gate, gatePred := b.statusGate(q, "FROM "+from+" WHERE "+where)
	base := `SELECT e.id::text AS id, e.created_at AS time, ` + categorySQL("e.category") + ` AS category, e.type,
  s.id::text AS session, p.id::text AS participant, p.participant_id, p.participant_name AS name,
  e.connection_id::text AS connection, ` + eventDataSQL("e") + ` AS summary
FROM ` + from + `
LEFT JOIN participant p ON p.id = e.participant_id
WHERE ` + where + gatePred
	cols := []tcol{
		{name: "id", display: "Event", kind: kStr},
		{name: "time", display: "Time", kind: kTime},
		{name: "category", display: "Category", kind: kStr},
		{name: "type", display: "Type", kind: kStr},
		{name: "session", display: "Session", kind: kStr},
		{name: "participant", display: "Participant", kind: kStr},
		{name: "participantId", display: "Participant id", kind: kStr},
		{name: "name", display: "Name", kind: kStr, null: true},
		{name: "connection", display: "Connection", kind: kStr, null: true},
		{name: "summary", display: "Details", kind: kStr},
	}
	sqlCols := []string{"id", "time", "category", "type", "session", "participant", "participant_id", "name", "connection", "summary"}
	sql := b.pageSQL(q, []string{gate}, base, sqlCols, []string{"time", "id"})
	f, _, err := s.runTable(ctx, "events", q, sql, b.args, cols)
	if err != nil {
		return nil, err
	}
	linkSession(frameField(f, "session"))
	linkConnection(frameField(f, "connection"))
	linkParticipant(frameField(f, "participant"), frameField(f, "participantId"))
	return data.Frames{f}, nil
}
