package plugin

import (
	"fmt"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// BenchmarkSplitFrames cuts a freshly computed series into its buckets for the cache, as storeBuckets
// does on every cold load of a bucketed query (a day at 1-minute steps is 1,440 buckets).
func BenchmarkSplitFrames(b *testing.B) {
	for _, n := range []int{288, 1440} {
		step := time.Minute
		from := time.Date(2026, 11, 23, 0, 0, 0, 0, time.UTC)
		starts := make([]time.Time, n)
		vals := [4][]int64{}
		for i := range starts {
			starts[i] = from.Add(time.Duration(i) * step)
			for k := range vals {
				vals[k] = append(vals[k], int64(i*k))
			}
		}
		f := data.NewFrame("conferenceStatus", data.NewField("time", nil, starts))
		for k, name := range []string{"success", "warning", "error", "ongoing"} {
			f.Fields = append(f.Fields, data.NewField(name, nil, vals[k]))
		}
		b.Run(fmt.Sprintf("buckets=%d", n), func(b *testing.B) {
			for b.Loop() {
				if p := splitFrames(data.Frames{f}, starts, step); p[n-1][0].Rows() != 1 {
					b.Fatal("last bucket lost its row")
				}
			}
		})
	}
}
