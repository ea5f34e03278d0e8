package store

import (
	"context"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

const day = 24 * time.Hour

// StatusStep is the conferenceStatus bucket: one UTC day (Peermetrics parity) unless the range is
// short enough (≤ 2 days) for Grafana's interval to ask for a finer step.
func StatusStep(q query.Query) time.Duration {
	if q.To.Sub(q.From) > 2*day || q.Interval >= day {
		return day
	}
	return NiceStep(q.Interval)
}

// NiceStep rounds an interval up to a step that divides a day, at least one minute.
func NiceStep(d time.Duration) time.Duration {
	for _, s := range []time.Duration{time.Minute, 5 * time.Minute, 10 * time.Minute, 15 * time.Minute,
		30 * time.Minute, time.Hour, 2 * time.Hour, 3 * time.Hour, 6 * time.Hour, 12 * time.Hour} {
		if d <= s {
			return s
		}
	}
	return day
}

func init() { register(query.TypeConferenceStatus, runConferenceStatus) }

func runConferenceStatus(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	step := StatusStep(q)
	b := &sqlb{}
	sql := b.entityCTEs(q, s.scope, need{conf: true, status: true}) + `
SELECT date_bin(` + b.p(int64(step/time.Second)) + ` * interval '1 second', created_at, TIMESTAMPTZ '1970-01-01 00:00:00+00') AS bucket,
  count(*) FILTER (WHERE status = 'success'), count(*) FILTER (WHERE status = 'warning'),
  count(*) FILTER (WHERE status = 'error'), count(*) FILTER (WHERE status = 'ongoing')
FROM conf GROUP BY 1 ORDER BY 1`
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	counts := map[int64][4]int64{}
	for rows.Next() {
		var t time.Time
		var c [4]int64
		if err := rows.Scan(&t, &c[0], &c[1], &c[2], &c[3]); err != nil {
			return nil, err
		}
		counts[t.Unix()] = c
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}

	// Every bucket of the range is present, zeros included, so bars line up and alerts see 0.
	var times []time.Time
	var starts, ends []float64
	vals := [4][]int64{}
	for t := q.From.Truncate(step); t.Before(q.To); t = t.Add(step) {
		times = append(times, t)
		// The exact part of the range this bucket counted, for the drilldown link.
		st, en := maxTime(t, q.From), minTime(t.Add(step), q.To)
		starts, ends = append(starts, float64(st.UnixMilli())), append(ends, float64(en.UnixMilli()))
		c := counts[t.Unix()]
		for i := range vals {
			vals[i] = append(vals[i], c[i])
		}
	}
	f := data.NewFrame("conferenceStatus", data.NewField("time", nil, times))
	frames.Meta(f, data.FrameTypeTimeSeriesWide, data.VisTypeGraph, sql, b.args)
	for i, st := range []string{"success", "warning", "error", "ongoing"} {
		fld := frames.Config(data.NewField(st, nil, vals[i]), titleCase(st), "none")
		link := frames.To(frames.DashConferences).Filters(q).Set("status", st).
			Raw("from=${__data.fields.bucketStart}").Raw("to=${__data.fields.bucketEnd}")
		frames.AddLink(fld, "Conferences with status "+st+" in this bucket", link.String())
		f.Fields = append(f.Fields, fld)
	}
	bs, be := data.NewField("bucketStart", nil, starts), data.NewField("bucketEnd", nil, ends)
	frames.Hide(bs)
	frames.Hide(be)
	f.Fields = append(f.Fields, bs, be)
	f.Meta.Custom = map[string]any{"bucketSeconds": int64(step / time.Second)}
	return data.Frames{f}, nil
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minTime(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func titleCase(s string) string {
	if s == "" {
		return s
	}
	return string(s[0]-32) + s[1:]
}
