package store

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

func init() { register(query.TypeConferences, runConferences) }

// The conferences list (SPEC §3): one row per conference. The filtered set comes from entityCTEs,
// where every filter is a semi-join (IN/EXISTS) on the conference, so no filter can repeat a
// conference; the page is cut from that set before anything is joined to it, and the per-row
// numbers (participants, issue counts, top issue) are aggregated per conference of the page, so
// they cannot repeat a row either. The total is counted on the same set before paging.
//
//   - participants: distinct active non-SFU participants with an active session in the conference
//     (a Jitsi user's P2P and JVB connections are one participant).
//   - errors/warnings: active issues of type e/w attributed to the conference by their
//     conference_id, else their connection's, else their session's; issues on soft-deleted
//     sessions or connections do not count (as in the status).
//   - topIssue: the most frequent issue code, ties broken by errors first, then by code.
const conferencesSQL = `,
page AS (SELECT id, status, created_at FROM conf ORDER BY created_at DESC, id LIMIT %s OFFSET %s),
pcount AS (
  SELECT s.conference_id, count(DISTINCT s.participant_id) AS n
  FROM app_session s JOIN participant p ON p.id = s.participant_id AND p.is_active AND NOT p.is_sfu
  WHERE s.is_active AND s.conference_id IN (SELECT id FROM page)
  GROUP BY 1),
piss AS (
  SELECT COALESCE(i.conference_id, cn.conference_id, s.conference_id) AS conference_id, i.code, i.type, count(*) AS n
  FROM app_issue i
  JOIN app_session s ON s.id = i.session_id AND s.is_active
  LEFT JOIN app_connection cn ON cn.id = i.connection_id
  WHERE i.is_active AND (i.connection_id IS NULL OR cn.is_active) AND s.conference_id IN (SELECT id FROM page)
  GROUP BY 1, 2, 3),
psev AS (
  SELECT conference_id, COALESCE(sum(n) FILTER (WHERE type = 'e'), 0)::bigint AS e, COALESCE(sum(n) FILTER (WHERE type = 'w'), 0)::bigint AS w
  FROM piss GROUP BY 1),
ptop AS (
  SELECT DISTINCT ON (conference_id) conference_id, code
  FROM (SELECT conference_id, code, sum(n) AS n, bool_or(type = 'e') AS e FROM piss GROUP BY 1, 2) x
  ORDER BY conference_id, n DESC, e DESC, code)
SELECT t.total, c.id::text, c.conference_id, c.conference_name, COALESCE(c.start_time, c.created_at),
  COALESCE(c.end_time, CASE WHEN NOT c.ongoing THEN COALESCE(c.start_time, c.created_at) + c.duration * interval '1 second' END),
  c.duration::bigint, COALESCE(pc.n, 0), page.status, COALESCE(ps.e, 0), COALESCE(ps.w, 0), ptop.code
FROM (SELECT count(*) AS total FROM conf) t
LEFT JOIN (page
  JOIN conference c ON c.id = page.id
  LEFT JOIN pcount pc ON pc.conference_id = page.id
  LEFT JOIN psev ps ON ps.conference_id = page.id
  LEFT JOIN ptop ON ptop.conference_id = page.id) ON true
ORDER BY page.created_at DESC, page.id`

var conferenceCols = []tcol{
	{name: "id", display: "Conference", kind: kStr},
	{name: "conferenceId", display: "Conference id", kind: kStr},
	{name: "name", display: "Name", kind: kStr, null: true},
	{name: "start", display: "Start", kind: kTime},
	{name: "end", display: "End", kind: kTime, null: true},
	{name: "durationSeconds", display: "Duration", unit: "s", kind: kInt},
	{name: "participants", display: "Participants", unit: "none", kind: kInt},
	{name: "status", display: "Status", kind: kStr},
	{name: "errors", display: "Errors", unit: "none", kind: kInt},
	{name: "warnings", display: "Warnings", unit: "none", kind: kInt},
	{name: "topIssue", display: "Top issue", kind: kStr, null: true},
}

func runConferences(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	b := &sqlb{}
	ctes := b.entityCTEs(q, s.scope, need{conf: true, status: true})
	sql := ctes + sprintf(conferencesSQL, b.p(q.Limit), b.p(q.Offset))
	f, _, err := s.runTable(ctx, "conferences", q, sql, b.args, conferenceCols)
	if err != nil {
		return nil, err
	}
	// The conference dashboard opens on the same exact range this list covered.
	conf := func() *frames.Link { return frames.To(frames.DashConference).Range(q.From, q.To) }
	frames.AddLink(frameField(f, "id"), "Conference", conf().Raw("var-conference=${__value.raw}").String())
	frames.AddLink(frameField(f, "conferenceId"), "Conference", conf().Raw("var-conference=${__data.fields.id}").String())
	frames.AddLink(frameField(f, "topIssue"), "Conferences with this issue",
		frames.To(frames.DashConferences).Range(q.From, q.To).Filters(q).Set("issueCode").Raw("var-issueCode=${__value.raw}").String())
	return data.Frames{f}, nil
}
