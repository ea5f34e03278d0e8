package store

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// participantHistogram: definitions in duration_histogram.go.
func init() { register(query.TypeParticipantHistogram, runParticipantHistogram) }

func runParticipantHistogram(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	b := &sqlb{}
	sql := b.entityCTEs(q, s.scope, need{conf: true}) + `,
pc AS (SELECT ps.conference_id, count(DISTINCT ps.participant_id) AS n FROM app_session ps
  JOIN conf pcf ON pcf.id = ps.conference_id
  JOIN participant p ON p.id = ps.participant_id AND p.is_active AND NOT p.is_sfu
  WHERE ps.is_active GROUP BY 1)
SELECT COALESCE(pc.n, 0), count(*) FROM conf LEFT JOIN pc ON pc.conference_id = conf.id GROUP BY 1 ORDER BY 1`
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	byN := map[int64]int64{}
	var maxN int64
	for rows.Next() {
		var n, c int64
		if err := rows.Scan(&n, &c); err != nil {
			return nil, err
		}
		byN[n] = c
		maxN = max(maxN, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	parts, confs := []int64{}, []int64{}
	start := int64(1)
	if byN[0] > 0 {
		start = 0
	}
	for n := start; n <= maxN; n++ {
		parts, confs = append(parts, n), append(confs, byN[n])
	}
	f := data.NewFrame("participantHistogram",
		frames.Config(data.NewField("participants", nil, parts), "Participants", "none"),
		frames.Config(data.NewField("conferences", nil, confs), "Conferences", "none"),
	)
	frames.Meta(f, data.FrameTypeTable, data.VisTypeTable, sql, b.args)
	return data.Frames{f}, nil
}
