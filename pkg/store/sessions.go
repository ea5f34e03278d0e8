package store

import (
	"context"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

func init() { register(query.TypeSessions, runSessions) }

// Sessions of a conference, session, connection or participant, oldest first. Browser, OS,
// country and city use the dimension expressions of the filters, so a value seen here filters
// exactly; versions are shown apart. devices is a summary of the device list by kind; a column
// that is not a list (the default {} or a legacy shape) reads "unknown" and is counted in a notice.
func runSessions(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	b := &sqlb{}
	from := `app_session s JOIN conference c ON c.id = s.conference_id`
	where := b.sessionListWhere(q, s.scope)
	gate, gatePred := b.statusGate(q, "FROM "+from+" WHERE "+where)
	base := `SELECT s.id::text AS id, s.conference_id::text AS conference, p.id::text AS participant, p.participant_id,
  p.participant_name AS name, s.created_at AS start, ` + sessionEndSQL + ` AS end_at, s.duration::bigint AS duration,
  ` + dim("browser", "s") + ` AS browser, NULLIF(s.platform #>> '{browser,version}', '') AS browser_version,
  ` + dim("os", "s") + ` AS os, NULLIF(s.platform #>> '{os,version}', '') AS os_version,
  COALESCE(` + devicesSQL("s") + `, 'unknown') AS devices, jsonb_typeof(s.devices) = 'array' AS devices_known,
  ` + dim("city", "s") + ` AS city, ` + dim("country", "s") + ` AS country,
  ` + dim("appVersion", "s") + ` AS app_version, ` + dim("sdk", "s") + ` AS sdk, ` + metadataSQL("s") + ` AS metadata,
  ie.e AS errors, ie.w AS warnings
FROM ` + from + `
LEFT JOIN participant p ON p.id = s.participant_id
` + sessionIssueCounts + `
WHERE ` + where + gatePred
	cols := []tcol{
		{name: "id", display: "Session", kind: kStr},
		{name: "conference", display: "Conference", kind: kStr},
		{name: "participant", display: "Participant", kind: kStr},
		{name: "participantId", display: "Participant id", kind: kStr},
		{name: "name", display: "Name", kind: kStr, null: true},
		{name: "start", display: "Start", kind: kTime},
		{name: "end", display: "End", kind: kTime, null: true},
		{name: "durationSeconds", display: "Duration", unit: "s", kind: kInt},
		{name: "browser", display: "Browser", kind: kStr},
		{name: "browserVersion", display: "Browser version", kind: kStr, null: true},
		{name: "os", display: "OS", kind: kStr},
		{name: "osVersion", display: "OS version", kind: kStr, null: true},
		{name: "devices", display: "Devices", kind: kStr},
		{name: "devicesKnown", display: "Device list readable", kind: kBool},
		{name: "city", display: "City", kind: kStr},
		{name: "country", display: "Country", kind: kStr},
		{name: "appVersion", display: "App version", kind: kStr},
		{name: "sdk", display: "SDK", kind: kStr},
		{name: "metadata", display: "Metadata", kind: kStr},
		{name: "errors", display: "Errors", unit: "none", kind: kInt},
		{name: "warnings", display: "Warnings", unit: "none", kind: kInt},
	}
	sqlCols := []string{"id", "conference", "participant", "participant_id", "name", "start", "end_at", "duration",
		"browser", "browser_version", "os", "os_version", "devices", "devices_known", "city", "country", "app_version",
		"sdk", "metadata", "errors", "warnings"}
	sql := b.pageSQL(q, []string{gate}, base, sqlCols, []string{"start", "id"})
	f, _, err := s.runTable(ctx, "sessions", q, sql, b.args, cols)
	if err != nil {
		return nil, err
	}
	// The readable flag only feeds the notice.
	unknown := 0
	if known := frameField(f, "devicesKnown"); known != nil {
		for i := 0; i < known.Len(); i++ {
			if !known.At(i).(bool) {
				unknown++
			}
		}
	}
	idx := -1
	for i, fld := range f.Fields {
		if fld.Name == "devicesKnown" {
			idx = i
		}
	}
	f.Fields = append(f.Fields[:idx], f.Fields[idx+1:]...)
	if unknown > 0 {
		frames.Notice(f, data.NoticeSeverityInfo, fmt.Sprintf("%d session(s) on this page have no readable device list (an empty object or a legacy shape); shown as unknown.", unknown))
	}
	linkSession(frameField(f, "id"))
	linkConference(frameField(f, "conference"))
	linkParticipant(frameField(f, "participant"), frameField(f, "participantId"))
	return data.Frames{f}, nil
}
