package store

import (
	"context"
	"fmt"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// getUserMedia error definitions: the same anchoring as issueSummary (the issues and events of the
// conferences created in the range, every filter applied).
//   - source getUserMedia: active getusermedia_error issues whose data is a JSON object with a non-empty
//     name. Older shapes (a string, a list, JSON null, SQL NULL, an object without name) cannot be
//     grouped: they are skipped and counted in a frame notice "N legacy rows skipped".
//   - source getDisplayMedia (screen share): active app_genericevent rows of type getDisplayMedia
//     whose data.error is an object with a name; present only when such events exist. A
//     getDisplayMedia event whose error has another shape is counted as a legacy row too.
//   - name, message of the first row seen (created_at, then id), count, sharePct = count / all
//     grouped rows of both sources × 100.
//
// Ordered by count descending, then source and name.
const gumValid = "COALESCE(jsonb_typeof(%[1]s) = 'object' AND (%[1]s ->> 'name') <> '', false)"

func init() { register(query.TypeGumErrors, runGumErrors) }

func runGumErrors(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	b := &sqlb{}
	f := q.Filters
	evPreds := append([]string{"e.is_active", "e.type = 'getDisplayMedia'",
		"(e.connection_id IS NULL OR cn.is_active)", b.participantPred("s.participant_id", f)}, b.sessionDimPreds("s", f)...)
	valid := func(x string) string { return fmt.Sprintf(gumValid, x) }
	sql := withCTEs(b.entityCTEs(q, s.scope, need{conf: true}), b.issueCTEs(q, s.scope, true, false, "getusermedia_error")) + `,
ev0 AS MATERIALIZED (SELECT e.id, e.created_at, e.data FROM app_genericevent e
  JOIN conf ec ON ec.id = e.conference_id JOIN app_session s ON s.id = e.session_id AND s.is_active
  LEFT JOIN app_connection cn ON cn.id = e.connection_id
  WHERE ` + and(evPreds...) + `),
-- The error-shape test stays out of ev0 (materialized, so it is not pushed down): there it made PostgreSQL estimate one event and
-- join every event to conf in a nested loop (2k events x 89k conferences, 22 s at seed30 scale).
ev AS (SELECT id, created_at, data -> 'error' AS err FROM ev0 WHERE jsonb_typeof(data) = 'object' AND data ? 'error'),
rowsg AS (
  SELECT 'getUserMedia' AS source, data ->> 'name' AS name, data ->> 'message' AS message, created_at, id
  FROM iss WHERE code = 'getusermedia_error' AND ` + valid("data") + `
  UNION ALL
  SELECT 'getDisplayMedia', err ->> 'name', err ->> 'message', created_at, id FROM ev WHERE ` + valid("err") + `),
legacy AS (SELECT (SELECT count(*) FROM iss WHERE code = 'getusermedia_error' AND NOT ` + valid("data") + `)
               + (SELECT count(*) FROM ev WHERE NOT ` + valid("err") + `) AS n),
agg AS (SELECT source, name, (array_agg(message ORDER BY created_at, id))[1] AS message, count(*) AS n
        FROM rowsg GROUP BY source, name)
SELECT legacy.n, agg.source, agg.name, agg.message, agg.n, sum(agg.n) OVER ()
FROM legacy LEFT JOIN agg ON true
ORDER BY agg.n DESC, agg.source COLLATE "C", agg.name COLLATE "C"`
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var legacy int64
	sources, names := []string{}, []string{}
	var messages []*string
	var counts []int64
	var shares []float64
	for rows.Next() {
		var source, name, message *string
		var n, total *int64
		if err := rows.Scan(&legacy, &source, &name, &message, &n, &total); err != nil {
			return nil, err
		}
		if source == nil {
			continue // no grouped row: only the legacy count
		}
		sources, names, messages = append(sources, *source), append(names, *name), append(messages, message)
		counts, shares = append(counts, *n), append(shares, float64(*n)*100/float64(*total))
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	fr := data.NewFrame("gumErrors",
		frames.Config(data.NewField("source", nil, sources), "Source", ""),
		frames.Config(data.NewField("name", nil, names), "Error", ""),
		frames.Config(data.NewField("message", nil, messages), "Message (first seen)", ""),
		frames.Config(data.NewField("count", nil, counts), "Errors", "none"),
		frames.Config(data.NewField("sharePct", nil, shares), "Share", "percent"),
	)
	frames.Meta(fr, data.FrameTypeNumericLong, data.VisTypeTable, sql, b.args)
	if legacy > 0 {
		frames.Notice(fr, data.NoticeSeverityInfo, fmt.Sprintf("%d legacy rows skipped (getUserMedia error data without an object with a name)", legacy))
	}
	return data.Frames{fr}, nil
}
