package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// Histogram definitions (Peermetrics parity, peermetrics-schema.md):
//   - durationHistogram: the conferences created in the range (every filter applied, ongoing ones
//     included with their stored duration, so that each bucket's link to the conferences list with
//     durationMin/durationMax lists exactly the counted conferences) in 12 buckets of
//     conference.duration, lower bound inclusive; all buckets present, zeros included.
//   - setupTimeHistogram: the connections created in the range with a Peermetrics setup time (first
//     negotiation connected; setupMs) in 11 buckets of milliseconds; all present.
//   - participantHistogram: for each conference created in the range, the distinct active non-SFU
//     participants having an active session in it (any session of the conference: session filters
//     choose conferences, they do not shrink them) → number of conferences per participant count,
//     every count from 1 to the largest present (zeros included), and 0 when such conferences exist.

// DurationBounds are the lower bounds (seconds) of the conference duration buckets after the first.
var DurationBounds = []int64{60, 180, 300, 600, 900, 1200, 1500, 1800, 2400, 3000, 3600}

// SetupBounds are the lower bounds (ms) of the setup time buckets after the first.
var SetupBounds = []int64{250, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000}

// bucketCounts runs sql, which yields (bucket index from width_bucket, count), into n+1 counts.
func bucketCounts(ctx context.Context, s *Store, sql string, args []any, n int) ([]int64, error) {
	rows, err := s.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := make([]int64, n+1)
	for rows.Next() {
		var i int
		var c int64
		if err := rows.Scan(&i, &c); err != nil {
			return nil, err
		}
		if i >= 0 && i <= n {
			counts[i] = c
		}
	}
	return counts, rows.Err()
}

func arrayLit(bounds []int64) string {
	s := make([]string, len(bounds))
	for i, v := range bounds {
		s[i] = fmt.Sprint(v)
	}
	return "ARRAY[" + strings.Join(s, ",") + "]"
}

// bucketBounds lists each bucket's [min, max) with a nil max for the last.
func bucketBounds(bounds []int64) (mins []int64, maxs []*int64) {
	mins = append([]int64{0}, bounds...)
	for i := range mins {
		if i < len(bounds) {
			maxs = append(maxs, &bounds[i])
		} else {
			maxs = append(maxs, nil)
		}
	}
	return mins, maxs
}

func durationLabel(lo int64, hi *int64) string {
	m := func(s int64) string { return fmt.Sprint(s / 60) }
	switch {
	case lo == 0:
		return "< " + m(*hi) + " min"
	case hi == nil:
		return "≥ " + m(lo) + " min"
	}
	return m(lo) + "–" + m(*hi) + " min"
}

func setupLabel(lo int64, hi *int64) string {
	switch {
	case lo == 0:
		return fmt.Sprintf("< %d ms", *hi)
	case hi == nil:
		return fmt.Sprintf("≥ %d ms", lo)
	}
	return fmt.Sprintf("%d–%d ms", lo, *hi)
}

func init() { register(query.TypeDurationHistogram, runDurationHistogram) }

func runDurationHistogram(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	b := &sqlb{}
	sql := b.entityCTEs(q, s.scope, need{conf: true, confOnce: true}) + `
SELECT width_bucket(duration, ` + arrayLit(DurationBounds) + `), count(*) FROM conf GROUP BY 1 ORDER BY 1`
	counts, err := bucketCounts(ctx, s, sql, b.args, len(DurationBounds))
	if err != nil {
		return nil, err
	}
	mins, maxs := bucketBounds(DurationBounds)
	labels := make([]string, len(mins))
	// The link's duration range: the bucket intersected with the query's own duration filters, so the
	// conferences list shows exactly the counted conferences (an empty intersection gives min = max,
	// an empty list, as the bucket's count is 0).
	linkMin, linkMax := make([]int64, len(mins)), make([]*int64, len(mins))
	fmin, fmax := q.Filters.DurationMinSeconds, q.Filters.DurationMaxSeconds
	for i := range mins {
		labels[i] = durationLabel(mins[i], maxs[i])
		lo, hi := mins[i], maxs[i]
		if fmin != nil && int64(*fmin) > lo {
			lo = int64(*fmin)
		}
		if fmax != nil && (hi == nil || int64(*fmax) < *hi) {
			v := int64(*fmax)
			hi = &v
		}
		if hi != nil && *hi < lo {
			v := lo
			hi = &v
		}
		linkMin[i], linkMax[i] = lo, hi
	}
	fConf := frames.Config(data.NewField("conferences", nil, counts), "Conferences", "none")
	lmin, lmax := data.NewField("linkDurationMin", nil, linkMin), data.NewField("linkDurationMax", nil, linkMax)
	frames.Hide(lmin)
	frames.Hide(lmax)
	f := data.NewFrame("durationHistogram",
		frames.Config(data.NewField("range", nil, labels), "Duration", ""),
		frames.Config(data.NewField("minSeconds", nil, mins), "From", "s"),
		frames.Config(data.NewField("maxSeconds", nil, maxs), "To", "s"),
		fConf, lmin, lmax,
	)
	frames.Meta(f, data.FrameTypeNumericLong, data.VisTypeTable, sql, b.args)
	frames.AddLink(fConf, "Conferences of this duration", frames.To(frames.DashConferences).Range(q.From, q.To).Filters(q).
		Set("durationMin").Set("durationMax").
		Raw("var-durationMin=${__data.fields.linkDurationMin}").Raw("var-durationMax=${__data.fields.linkDurationMax}").String())
	return data.Frames{f}, nil
}
