package store

import (
	"context"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// setupTimeHistogram: definitions in duration_histogram.go.
func init() { register(query.TypeSetupTimeHistogram, runSetupTimeHistogram) }

func runSetupTimeHistogram(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	st, err := s.setupStats(ctx, q)
	if err != nil {
		return nil, err
	}
	counts := st.Buckets
	mins, maxs := bucketBounds(SetupBounds)
	labels := make([]string, len(mins))
	for i := range mins {
		labels[i] = setupLabel(mins[i], maxs[i])
	}
	f := data.NewFrame("setupTimeHistogram",
		frames.Config(data.NewField("range", nil, labels), "Setup time", ""),
		frames.Config(data.NewField("minMs", nil, mins), "From", "ms"),
		frames.Config(data.NewField("maxMs", nil, maxs), "To", "ms"),
		frames.Config(data.NewField("connections", nil, counts), "Connections", "none"),
	)
	frames.Meta(f, data.FrameTypeNumericLong, data.VisTypeTable, st.Executed, nil)
	return data.Frames{f}, nil
}
