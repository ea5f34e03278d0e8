package store

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// Connection type definitions: the connections created in the range (every filter applied) by
//   - type: the local candidate type of the selected pair, app_connection.type h/s/p/r → host, srflx,
//     prflx, relay; NULL (never connected, or not reported yet) → a separate row "unknown", so the rows
//     add up to the connections count of overview.
//   - protocol: tcp when connection_info.detected_tcp is JSON true or an active tcp_used issue names the
//     connection (both mean the selected pair's local protocol is TCP, which for a relay candidate
//     includes TURN over TCP/TLS); otherwise udp when the type is known (a selected pair exists and it
//     is not TCP); otherwise unknown.
//
// Only non-empty rows, ordered host, srflx, prflx, relay, unknown, then udp, tcp, unknown.
func init() { register(query.TypeConnectionTypes, runConnectionTypes) }

func runConnectionTypes(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	b := &sqlb{}
	// tcp lists every connection with a tcp_used issue, not only conn's (the LEFT JOIN keeps conn's
	// anyway): joining the issues to conn first cost more than the ~10k ids it saves (30 d of seed30,
	// SQL alone: 646-751 → 577-620 ms; 1 d within noise). conn stays materialized: inlined, the 1-day
	// plan went parallel and each worker scanned app_issue again (+10 ms).
	sql := b.entityCTEs(q, s.scope, need{conn: true}) + `,
tcp AS (SELECT DISTINCT ti.connection_id FROM app_issue ti WHERE ti.is_active AND ti.code = 'tcp_used'),
ct AS (SELECT ` + connTypeName("conn") + ` AS type,
  CASE WHEN conn.detected_tcp OR tcp.connection_id IS NOT NULL THEN 'tcp'
       WHEN conn.type IS NOT NULL THEN 'udp' ELSE 'unknown' END AS protocol
  FROM conn LEFT JOIN tcp ON tcp.connection_id = conn.id)
SELECT type, protocol, count(*) FROM ct GROUP BY 1, 2
ORDER BY array_position(ARRAY['host','srflx','prflx','relay','unknown'], type), array_position(ARRAY['udp','tcp','unknown'], protocol)`
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	types, protocols, counts := []string{}, []string{}, []int64{}
	for rows.Next() {
		var t, p string
		var n int64
		if err := rows.Scan(&t, &p, &n); err != nil {
			return nil, err
		}
		types, protocols, counts = append(types, t), append(protocols, p), append(counts, n)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	f := data.NewFrame("connectionTypes",
		frames.Config(data.NewField("type", nil, types), "Candidate type", ""),
		frames.Config(data.NewField("protocol", nil, protocols), "Protocol", ""),
		frames.Config(data.NewField("connections", nil, counts), "Connections", "none"),
	)
	frames.Meta(f, data.FrameTypeNumericLong, data.VisTypeTable, sql, b.args)
	return data.Frames{f}, nil
}
