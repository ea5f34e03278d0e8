package store

import (
	"sort"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/settings"
)

// IssueInfo is what the plugin knows of an issue code: its display title, its severity ("error" or
// "warning") and whether the plugin derives it from the stats samples (never stored by the API).
type IssueInfo struct {
	Title, Severity string
	Derived         bool
}

// IssueTitles is the one table of issue codes: the codes the Peermetrics API writes, with the title
// and severity peermetrics-schema.md gives them, and the threshold codes the plugin derives
// (derived_issues.go). An unknown code is shown as itself, its severity read from its rows.
var IssueTitles = map[string]IssueInfo{
	"no_media_access":         {"Could not access any media device", "error", false},
	"ice_failed":              {"Connection could not be established", "error", false},
	"no_connection":           {"The participant could not establish a connection", "error", false},
	"very_low_emos":           {"The participant had a very bad experience during the conference", "error", false},
	"getusermedia_error":      {"Problem accessing media", "warning", false},
	"icecandidateerror":       {"ICE candidate error", "warning", false},
	"connection_disconnected": {"Connection disconnected", "warning", false},
	"connection_failed":       {"Connection failed", "error", false},
	"multiple_rejoins":        {"Multiple rejoins", "warning", false},
	"tcp_used":                {"Media sent over TCP", "warning", false},
	"turn_used":               {"Connection relayed through a TURN server", "warning", false},
	"low_emos":                {"Participant had a less than ideal experience", "warning", false},
	DerivedHighPacketLoss:     {"High packet loss", "warning", true},
	DerivedHighRTT:            {"High round-trip time", "warning", true},
	DerivedHighJitter:         {"High jitter", "warning", true},
	DerivedLowMOS:             {"Low MOS", "warning", true},
}

// issueCodeTitle is the display title of an issue code (the code itself when unknown).
func issueCodeTitle(code string) string {
	if c, ok := IssueTitles[code]; ok {
		return c.Title
	}
	return code
}

// issueTitleMap maps every code of IssueTitles to its title (for sqlMap).
func issueTitleMap() map[string]string {
	m := make(map[string]string, len(IssueTitles))
	for k, v := range IssueTitles {
		m[k] = v.Title
	}
	return m
}

// SFUPeerLabels name the SFU side of a connection by the participant id the SDK integrations give
// it (SDK 2.8): LiveKit's publisher/subscriber transports and Jitsi's P2P and JVB connections.
var SFUPeerLabels = map[string]string{
	"livekit-sfu-server-outbound":  "LiveKit SFU (publisher)",
	"livekit-sfu-server-inbound":   "LiveKit SFU (subscriber)",
	"livekit-sfu-server-transport": "LiveKit SFU",
	"jitsi-sfu-server-p2p":         "(P2P)",
	"jitsi-sfu-server-jvb":         "(JVB/SFU)",
}

// connectionTypes maps app_connection.type to the ICE candidate type of the selected pair.
var connectionTypes = map[string]string{"h": "host", "s": "srflx", "p": "prflx", "r": "relay"}

// eventCategories maps app_genericevent.category to its name.
var eventCategories = map[string]string{"B": "browser", "M": "getUserMedia", "C": "connection", "T": "track", "S": "stats"}

// sqlLit quotes a constant of this package as an SQL string literal. Only ever used for the
// constant tables above, never for user input (which always travels as a parameter).
func sqlLit(s string) string { return "'" + strings.ReplaceAll(s, "'", "''") + "'" }

// sqlMap is a CASE mapping expr through one of the constant tables above; NULL when unmapped.
func sqlMap(expr string, m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString("CASE " + expr)
	for _, k := range keys {
		b.WriteString(" WHEN " + sqlLit(k) + " THEN " + sqlLit(m[k]))
	}
	b.WriteString(" END")
	return b.String()
}

// issueTitleSQL is the title of an issue code column, the code itself when unknown.
func issueTitleSQL(code string) string {
	return "COALESCE(" + sqlMap(code, issueTitleMap()) + ", " + code + ")"
}

// severitySQL names app_issue.type.
func severitySQL(typ string) string {
	return "CASE " + typ + " WHEN 'e' THEN 'error' WHEN 'w' THEN 'warning' ELSE 'unknown' END"
}

// connTypeSQL names app_connection.type; NULL (not yet known) and odd values read as unknown.
func connTypeSQL(typ string) string {
	return "COALESCE(" + sqlMap(typ, connectionTypes) + ", 'unknown')"
}

// peerLabelSQL labels the remote side of a connection from a participant alias p (LEFT JOINed):
// the SDK integrations' SFU ids by name, another SFU by its id, a person by name, else id.
func peerLabelSQL(p string) string {
	return "COALESCE(" + sqlMap(p+".participant_id", SFUPeerLabels) +
		", CASE WHEN " + p + ".is_sfu THEN 'SFU (' || " + p + ".participant_id || ')' END" +
		", NULLIF(btrim(" + p + ".participant_name), ''), NULLIF(" + p + ".participant_id, ''), 'unknown')"
}

// categorySQL names app_genericevent.category.
func categorySQL(cat string) string {
	return "COALESCE(" + sqlMap(cat, eventCategories) + ", " + cat + ")"
}

// issueIsLiveSQL: the issue is active and not on a soft-deleted connection (alias of a LEFT JOIN
// on app_connection by i.connection_id).
func issueIsLiveSQL(i, cn string) string {
	return i + ".is_active AND (" + i + ".connection_id IS NULL OR " + cn + ".is_active)"
}

// jsonText shortens a jsonb value to one line of at most 200 characters.
func jsonText(expr string) string { return "left(" + expr + "::text, 200)" }

// issueDataSQL summarises app_issue.data in one line: getUserMedia errors as "name: message",
// eMOS issues as their average, legacy strings as themselves, anything else as compact JSON.
// Every operator used yields NULL, never an error, on unexpected shapes.
func issueDataSQL(d string) string {
	return `CASE jsonb_typeof(` + d + `)
  WHEN 'object' THEN COALESCE(
    NULLIF(concat_ws(': ', NULLIF(` + d + ` ->> 'name', ''), NULLIF(` + d + ` ->> 'message', '')), ''),
    CASE WHEN jsonb_typeof(` + d + ` -> 'average') = 'number' THEN 'eMOS average ' || round((` + d + ` ->> 'average')::numeric, 2)::text END,
    CASE WHEN ` + d + ` ? 'errorCode' THEN concat_ws(' ', 'error ' || (` + d + ` ->> 'errorCode'), NULLIF(` + d + ` ->> 'errorText', ''),
      '(' || NULLIF(` + d + ` ->> 'url', '') || ')') END,
    NULLIF(` + jsonText(d) + `, '{}'), '')
  WHEN 'string' THEN left(` + d + ` #>> '{}', 200)
  WHEN 'array' THEN ` + jsonText(d) + `
  ELSE '' END`
}

// eventDataSQL summarises app_genericevent.data in one line for a person reading a timeline.
func eventDataSQL(e string) string {
	d := e + ".data"
	arr := func(k string) string {
		return `CASE WHEN jsonb_typeof(` + d + ` -> '` + k + `') = 'array' THEN jsonb_array_length(` + d + ` -> '` + k + `') || ' ` + k + `' END`
	}
	return `CASE jsonb_typeof(` + d + `)
  WHEN 'object' THEN COALESCE(
    CASE WHEN jsonb_typeof(` + d + ` -> 'error') = 'object' THEN 'error ' || concat_ws(': ',
      COALESCE(NULLIF(` + d + ` #>> '{error,name}', ''), 'unknown'), NULLIF(` + d + ` #>> '{error,message}', '')) END,
    CASE WHEN jsonb_typeof(` + d + ` -> 'error') = 'string' THEN 'error ' || (` + d + ` ->> 'error') END,
    'connection state ' || (` + d + ` ->> 'connectionState'),
    'ICE connection state ' || (` + d + ` ->> 'iceConnectionState'),
    'ICE gathering state ' || (` + d + ` ->> 'iceGatheringState'),
    'signaling state ' || (` + d + ` ->> 'signalingState'),
    'page ' || (` + d + ` ->> 'visibilityState'),
    CASE WHEN ` + d + ` ->> 'iceRestart' = 'true' THEN 'ICE restart' END,
    CASE WHEN ` + d + ` ? 'errorCode' THEN concat_ws(' ', 'ICE candidate error ' || (` + d + ` ->> 'errorCode'),
      NULLIF(` + d + ` ->> 'errorText', ''), '(' || NULLIF(` + d + ` ->> 'url', '') || ')') END,
    CASE WHEN jsonb_typeof(` + d + ` -> 'audio') = 'array' OR jsonb_typeof(` + d + ` -> 'video') = 'array'
      THEN 'granted ' || concat_ws(', ', ` + arr("audio") + `, ` + arr("video") + `) END,
    CASE WHEN jsonb_typeof(` + d + ` -> 'stream') = 'object' THEN 'stream granted' END,
    'request ' || left(` + d + ` ->> 'constraints', 150),
    'request ' || left(` + d + ` ->> 'request', 150),
    CASE WHEN ` + e + `.type LIKE 'jitsi%' THEN concat_ws(' ', 'user ' || (` + d + ` ->> 'id'), '(' || (` + d + ` ->> 'displayName') || ')') END,
    CASE WHEN ` + d + ` ? 'kind' THEN concat_ws(' ', ` + d + ` ->> 'kind', 'track', ` + d + ` ->> 'label') END,
    NULLIF(` + jsonText(d) + `, '{}'), '')
  WHEN 'string' THEN left(` + d + ` #>> '{}', 200)
  WHEN 'array' THEN ` + jsonText(d) + `
  ELSE '' END`
}

// devicesSQL summarises app_session.devices, a list of {deviceId, kind, groupId, label}, as counts
// by kind ("1 audioinput, 1 videoinput"); "none" for an empty list, NULL for any other shape
// (the column default {} or a legacy shape), which the lists show as unknown.
func devicesSQL(s string) string {
	return `CASE WHEN jsonb_typeof(` + s + `.devices) = 'array' THEN COALESCE((
    SELECT string_agg(x.n || ' ' || x.k, ', ' ORDER BY x.k) FROM (
      SELECT COALESCE(NULLIF(dv ->> 'kind', ''), 'unknown') AS k, count(*) AS n
      FROM jsonb_array_elements(` + s + `.devices) dv WHERE jsonb_typeof(dv) = 'object' GROUP BY 1) x), 'none') END`
}

// metadataSQL renders app_session.metadata as "key=value, ..." (keys sorted).
func metadataSQL(s string) string {
	m := s + ".metadata"
	return `CASE jsonb_typeof(` + m + `)
  WHEN 'object' THEN COALESCE((SELECT string_agg(kv.key || '=' || COALESCE(kv.value #>> '{}', ''), ', ' ORDER BY kv.key)
    FROM jsonb_each(` + m + `) kv), '')
  WHEN 'null' THEN ''
  ELSE ` + jsonText(m) + ` END`
}

// negotiationsSQL counts connection_info.negotiations, and those whose status is failed.
func negotiationsSQL(cn string, failed bool) string {
	n := cn + ".connection_info -> 'negotiations'"
	if !failed {
		return "CASE WHEN jsonb_typeof(" + n + ") = 'array' THEN jsonb_array_length(" + n + ") ELSE 0 END"
	}
	return "CASE WHEN jsonb_typeof(" + n + ") = 'array' THEN (SELECT count(*) FROM jsonb_array_elements(" + n +
		") ng WHERE jsonb_typeof(ng) = 'object' AND ng ->> 'status' = 'failed') ELSE 0 END"
}

// confTargetPred matches a conference alias to a conferenceId: the Peermetrics uuid or the app's
// own conference id (unique per app only, so it may name one conference in each scoped app).
func (b *sqlb) confTargetPred(c, id string) string {
	if settings.IsUUID(id) {
		return "(" + c + ".id = " + b.p(id) + "::uuid OR " + c + ".conference_id = " + b.p(id) + ")"
	}
	return c + ".conference_id = " + b.p(id)
}

// byID reports whether a detail query names a conference, session or connection. Then the time
// range does not apply: the lists of one entity show all of its rows whatever the dashboard's range.
func byID(q query.Query) bool {
	return q.ConferenceID != "" || q.SessionID != "" || q.ConnectionID != ""
}

// detailPreds are the conditions shared by the detail lists on a session alias s and its
// conference alias c: scope, soft deletes, the conference's own filters, the target entity and the
// session dimensions. connViaSession adds connectionId as "the session of that connection".
func (b *sqlb) detailPreds(q query.Query, sc Scope, connViaSession bool) []string {
	f := q.Filters
	preds := []string{"s.is_active", "c.is_active", b.scopePred("c", sc, q.AppID)}
	preds = append(preds, b.confOwnPreds("c", f)...)
	if q.ConferenceID != "" {
		preds = append(preds, b.confTargetPred("c", q.ConferenceID))
	}
	if q.SessionID != "" {
		preds = append(preds, "s.id = "+b.p(q.SessionID)+"::uuid")
	}
	if connViaSession && q.ConnectionID != "" {
		preds = append(preds, "s.id IN (SELECT x.session_id FROM app_connection x WHERE x.id = "+b.p(q.ConnectionID)+"::uuid AND x.is_active)")
	}
	preds = append(preds, b.participantPred("s.participant_id", f))
	preds = append(preds, b.sessionDimPreds("s", f)...)
	return preds
}

// statusGate applies filters.status to a list whose rows come from fromWhere (a FROM ... WHERE
// clause with conference alias c): it returns the CTE classifying the conferences the rows belong
// to and the clause to append. The same placeholders serve both, so no argument is repeated.
func (b *sqlb) statusGate(q query.Query, fromWhere string) (cte, pred string) {
	if len(q.Filters.Status) == 0 {
		return "", ""
	}
	return statusCTE("dstat", "SELECT c.id "+fromWhere, false),
		" AND c.id IN (SELECT id FROM dstat WHERE status = ANY(" + b.p(q.Filters.Status) + "::text[]))"
}

// pageSQL wraps a list's base SELECT into the total count before paging and one page in a
// deterministic order. Every result row starts with the total; when the page is empty, one row
// holds the total and NULLs. cols are the output columns of base, order the sort columns.
func (b *sqlb) pageSQL(q query.Query, ctes []string, base string, cols, order []string) string {
	var w []string
	for _, c := range ctes {
		if c != "" {
			w = append(w, c)
		}
	}
	w = append(w, "base AS MATERIALIZED (\n"+base+"\n)")
	rcols := make([]string, len(cols))
	for i, c := range cols {
		rcols[i] = "r." + c
	}
	rorder := make([]string, len(order))
	for i, o := range order {
		rorder[i] = "r." + o
	}
	return "WITH " + strings.Join(w, ",\n") + "\nSELECT t.total, " + strings.Join(rcols, ", ") +
		"\nFROM (SELECT count(*) AS total FROM base) t LEFT JOIN LATERAL (SELECT * FROM base ORDER BY " + strings.Join(order, ", ") +
		" LIMIT " + b.p(q.Limit) + " OFFSET " + b.p(q.Offset) + ") r ON true\nORDER BY " + strings.Join(rorder, ", ")
}

// pageNotes records the total in Meta.Custom and says so when more rows exist than the page shows.
func pageNotes(f *data.Frame, q query.Query, total int64) {
	f.Meta.Custom = map[string]any{"total": total}
	if shown := int64(f.Rows()); int64(q.Offset)+shown < total {
		frames.Notice(f, data.NoticeSeverityInfo, sprintf("Showing rows %d to %d of %d; raise the limit or the offset to see more.",
			q.Offset+1, int64(q.Offset)+shown, total))
	}
}

// link helpers (SPEC §4): each row's id leads to its own dashboard.
func linkRaw(f *data.Field, title, dashboard, variable, expr string) {
	frames.AddLink(f, title, frames.To(dashboard).Raw("var-"+variable+"="+expr).String())
}

func linkSession(f *data.Field) {
	linkRaw(f, "Session", frames.DashSession, "session", "${__value.raw}")
}

func linkConnection(f *data.Field) {
	linkRaw(f, "Connection", frames.DashConnection, "connection", "${__value.raw}")
}

func linkConference(f *data.Field) {
	linkRaw(f, "Conference", frames.DashConference, "conference", "${__value.raw}")
}

// linkParticipant links the participant uuid field, and the app's participant id field through it.
func linkParticipant(uuid, appID *data.Field) {
	if uuid != nil {
		linkRaw(uuid, "Participant", frames.DashParticipant, "participant", "${__value.raw}")
	}
	if appID != nil {
		linkRaw(appID, "Participant", frames.DashParticipant, "participant", "${__data.fields.participant}")
	}
}
