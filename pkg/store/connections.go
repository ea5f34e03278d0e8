package store

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/query"
)

func init() { register(query.TypeConnections, runConnections) }

// Connections of a conference, session, connection or participant, by start. peer is SDK-aware:
// the SFU transports of LiveKit and Jitsi are named (SFUPeerLabels), other peers by participant
// name or id. type is the selected candidate pair's local type (unknown until reported); setupMs is
// Peermetrics's setup time (first negotiation, when connected); negotiations counts the entries of
// connection_info.negotiations and failedNegotiations those whose status is failed.
func runConnections(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	b := &sqlb{}
	from := `app_connection cn JOIN app_session s ON s.id = cn.session_id JOIN conference c ON c.id = s.conference_id`
	preds := append([]string{"cn.is_active"}, b.detailPreds(q, s.scope, false)...)
	if q.ConnectionID != "" {
		preds = append(preds, "cn.id = "+b.p(q.ConnectionID)+"::uuid")
	}
	if !byID(q) {
		preds = append(preds, b.rangePred("cn", q))
	}
	if len(q.Filters.IssueCode) > 0 {
		preds = append(preds, "cn.id IN (SELECT i.connection_id FROM app_issue i WHERE i.is_active AND i.code = ANY("+b.p(q.Filters.IssueCode)+"::text[]))")
	}
	where := and(preds...)
	gate, gatePred := b.statusGate(q, "FROM "+from+" WHERE "+where)
	base := `SELECT cn.id::text AS id, cn.session_id::text AS session, s.conference_id::text AS conference,
  p.id::text AS participant, p.participant_id, p.participant_name AS name,
  ` + peerLabelSQL("pr") + ` AS peer, pr.participant_id AS peer_id, ` + connTypeSQL("cn.type") + ` AS type, cn.state,
  (` + setupMs("cn") + `)::float8 AS setup_ms, ` + negotiationsSQL("cn", false) + `::bigint AS negotiations,
  ` + negotiationsSQL("cn", true) + `::bigint AS failed_negotiations,
  COALESCE(cn.start_time, cn.created_at) AS start, cn.end_time AS end_at, cn.duration::bigint AS duration
FROM ` + from + `
LEFT JOIN participant p ON p.id = cn.participant_id
LEFT JOIN participant pr ON pr.id = cn.peer_id
WHERE ` + where + gatePred
	cols := []tcol{
		{name: "id", display: "Connection", kind: kStr},
		{name: "session", display: "Session", kind: kStr},
		{name: "conference", display: "Conference", kind: kStr},
		{name: "participant", display: "Participant", kind: kStr},
		{name: "participantId", display: "Participant id", kind: kStr},
		{name: "name", display: "Name", kind: kStr, null: true},
		{name: "peer", display: "Peer", kind: kStr},
		{name: "peerId", display: "Peer id", kind: kStr, null: true},
		{name: "type", display: "Type", kind: kStr},
		{name: "state", display: "State", kind: kStr},
		{name: "setupMs", display: "Setup time", unit: "ms", kind: kFloat, null: true},
		{name: "negotiations", display: "Negotiations", unit: "none", kind: kInt},
		{name: "failedNegotiations", display: "Failed negotiations", unit: "none", kind: kInt},
		{name: "start", display: "Start", kind: kTime},
		{name: "end", display: "End", kind: kTime, null: true},
		{name: "durationSeconds", display: "Duration", unit: "s", kind: kInt},
	}
	sqlCols := []string{"id", "session", "conference", "participant", "participant_id", "name", "peer", "peer_id", "type",
		"state", "setup_ms", "negotiations", "failed_negotiations", "start", "end_at", "duration"}
	sql := b.pageSQL(q, []string{gate}, base, sqlCols, []string{"start", "id"})
	f, _, err := s.runTable(ctx, "connections", q, sql, b.args, cols)
	if err != nil {
		return nil, err
	}
	linkConnection(frameField(f, "id"))
	linkSession(frameField(f, "session"))
	linkConference(frameField(f, "conference"))
	linkParticipant(frameField(f, "participant"), frameField(f, "participantId"))
	return data.Frames{f}, nil
}
