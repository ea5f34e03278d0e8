package store

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/query"
)

func init() { register(query.TypeParticipants, runParticipants) }

// sessionIssueCounts is a LATERAL join giving a session alias s its live error and warning counts.
const sessionIssueCounts = `LEFT JOIN LATERAL (
  SELECT count(*) FILTER (WHERE i.type = 'e') AS e, count(*) FILTER (WHERE i.type = 'w') AS w
  FROM app_issue i LEFT JOIN app_connection icn ON icn.id = i.connection_id
  WHERE i.session_id = s.id AND i.is_active AND (i.connection_id IS NULL OR icn.is_active)) ie ON true`

// sessionEndSQL is when a session ended: its end_time, else start + duration once its conference
// is over; NULL while it may still be running.
const sessionEndSQL = `COALESCE(s.end_time, CASE WHEN NOT c.ongoing THEN s.created_at + s.duration * interval '1 second' END)`

// sessionListWhere is the WHERE of the session-based lists (participants, sessions): the shared
// detail predicates, the time range on the session when no entity id is given, and issue codes
// as "sessions with such an issue".
func (b *sqlb) sessionListWhere(q query.Query, sc Scope) string {
	preds := b.detailPreds(q, sc, true)
	if !byID(q) {
		preds = append(preds, b.rangePred("s", q))
	}
	if len(q.Filters.IssueCode) > 0 {
		preds = append(preds, "s.id IN (SELECT i.session_id FROM app_issue i WHERE i.is_active AND i.code = ANY("+b.p(q.Filters.IssueCode)+"::text[]))")
	}
	return and(preds...)
}

// Participants of a conference, session, connection or participant: one row per participant,
// never per session or connection (a Jitsi user's P2P and JVB connections, or a LiveKit user's
// publisher and subscriber, are one participant). SFU participants are not people and are left
// out. Browser, OS, location, SDK and app version are those of the participant's latest session.
func runParticipants(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	b := &sqlb{}
	from := `app_session s JOIN conference c ON c.id = s.conference_id
  JOIN participant p ON p.id = s.participant_id AND p.is_active AND NOT p.is_sfu`
	where := b.sessionListWhere(q, s.scope)
	gate, gatePred := b.statusGate(q, "FROM "+from+" WHERE "+where)
	latest := func(expr string) string { return "(array_agg(" + expr + " ORDER BY s.created_at DESC, s.id DESC))[1]" }
	base := `SELECT p.id::text AS participant, p.participant_id, p.participant_name AS name, count(*) AS sessions,
  ` + latest(dim("browser", "s")) + ` AS browser, ` + latest(dim("os", "s")) + ` AS os,
  ` + latest(dim("city", "s")) + ` AS city, ` + latest(dim("country", "s")) + ` AS country,
  ` + latest(dim("sdk", "s")) + ` AS sdk, ` + latest(dim("appVersion", "s")) + ` AS app_version,
  min(s.created_at) AS start, max(` + sessionEndSQL + `) AS end_at, sum(s.duration)::bigint AS time_in_call,
  sum(ie.e)::bigint AS errors, sum(ie.w)::bigint AS warnings
FROM ` + from + `
` + sessionIssueCounts + `
WHERE ` + where + gatePred + `
GROUP BY p.id, p.participant_id, p.participant_name`
	cols := []tcol{
		{name: "participant", display: "Participant", kind: kStr},
		{name: "participantId", display: "Participant id", kind: kStr},
		{name: "name", display: "Name", kind: kStr, null: true},
		{name: "sessions", display: "Sessions", unit: "none", kind: kInt},
		{name: "browser", display: "Browser", kind: kStr},
		{name: "os", display: "OS", kind: kStr},
		{name: "city", display: "City", kind: kStr},
		{name: "country", display: "Country", kind: kStr},
		{name: "sdk", display: "SDK", kind: kStr},
		{name: "appVersion", display: "App version", kind: kStr},
		{name: "start", display: "First joined", kind: kTime},
		{name: "end", display: "Last left", kind: kTime, null: true},
		{name: "timeInCallSeconds", display: "Time in call", unit: "s", kind: kInt},
		{name: "errors", display: "Errors", unit: "none", kind: kInt},
		{name: "warnings", display: "Warnings", unit: "none", kind: kInt},
	}
	sqlCols := []string{"participant", "participant_id", "name", "sessions", "browser", "os", "city", "country", "sdk",
		"app_version", "start", "end_at", "time_in_call", "errors", "warnings"}
	sql := b.pageSQL(q, []string{gate}, base, sqlCols, []string{"start", "participant_id", "participant"})
	f, _, err := s.runTable(ctx, "participants", q, sql, b.args, cols)
	if err != nil {
		return nil, err
	}
	linkParticipant(frameField(f, "participant"), frameField(f, "participantId"))
	return data.Frames{f}, nil
}
