package webrtcstats

import (
	"sort"
	"time"
)

// GapFactor: an interval longer than GapFactor × the median sample interval of a stream is a gap.
const GapFactor = 3

// SeriesKey identifies one stream of a connection.
type SeriesKey struct {
	Kind      Kind
	Direction Direction
	ID        string // W3C stats id of the local inbound-rtp/outbound-rtp report
}

// Point is one sample of a stream's derived metrics; nil means no value (a null in the frame).
type Point struct {
	Time        time.Time
	Bitrate     *float64 // bit/s, payload + header bytes
	PacketRate  *float64 // packets/s
	LossPct     *float64 // percent of packets lost over the interval
	JitterMs    *float64
	RttMs       *float64
	MOS         *float64 // inbound audio only
	FPS         *float64 // video only
	FrameHeight *float64 // video only, pixels
	// Gap marks a point inserted in a gap (all values nil) so that charts break the line.
	Gap bool
}

// Series is the time-ordered points of one stream.
type Series struct {
	Key    SeriesKey
	Points []Point
}

func ptr(v float64, ok bool) *float64 {
	if !ok {
		return nil
	}
	return &v
}

type obs struct {
	sample *Sample
	stream *StreamStats
}

// BuildSeries derives per-stream series from the samples of ONE connection (raw rows or summary
// snapshots). Samples are taken in time order (a stable sort is applied, so ties keep input order).
// Consecutive observations of the same (kind, direction, stats id) are paired; a stats id seen for
// the first time starts a new stream whose first point has no rate, no counter-derived loss and no
// MOS; values that need no previous sample are kept (jitter, RTT, frame height, and an outbound
// stream's loss when it comes from the remote's RTCP fractionLost). A stream may skip samples:
// its previous observation is the last sample that carried it. When the time between two observations
// exceeds GapFactor × the median interval of that stream, a null point (Gap = true) is inserted
// half-way, and the point after the gap is still computed over the whole interval (an exact average).
// The result is ordered by kind, direction and stats id.
func BuildSeries(samples []Sample) []Series {
	order := make([]int, len(samples))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool { return samples[order[a]].Time.Before(samples[order[b]].Time) })

	byKey := map[SeriesKey][]obs{}
	for _, i := range order {
		s := &samples[i]
		for j := range s.Streams {
			st := &s.Streams[j]
			k := SeriesKey{st.Kind, st.Direction, st.ID}
			byKey[k] = append(byKey[k], obs{s, st})
		}
	}
	keys := make([]SeriesKey, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	sort.Slice(keys, func(a, b int) bool {
		x, y := keys[a], keys[b]
		if x.Kind != y.Kind {
			return x.Kind < y.Kind
		}
		if x.Direction != y.Direction {
			return x.Direction < y.Direction
		}
		return x.ID < y.ID
	})

	out := make([]Series, 0, len(keys))
	for _, k := range keys {
		list := byKey[k]
		med := medianInterval(list)
		pts := make([]Point, 0, len(list))
		for i, cur := range list {
			var prev *obs
			if i > 0 {
				prev = &list[i-1]
				if dt := cur.sample.Time.Sub(prev.sample.Time); med > 0 && dt > GapFactor*med {
					pts = append(pts, Point{Time: prev.sample.Time.Add(dt / 2), Gap: true})
				}
			}
			pts = append(pts, point(prev, cur))
		}
		out = append(out, Series{Key: k, Points: pts})
	}
	return out
}

// medianInterval is the median of the positive intervals between consecutive observations.
func medianInterval(list []obs) time.Duration {
	var d []time.Duration
	for i := 1; i < len(list); i++ {
		if dt := list[i].sample.Time.Sub(list[i-1].sample.Time); dt > 0 {
			d = append(d, dt)
		}
	}
	if len(d) == 0 {
		return 0
	}
	sort.Slice(d, func(a, b int) bool { return d[a] < d[b] })
	n := len(d)
	if n%2 == 1 {
		return d[n/2]
	}
	return d[n/2-1] + (d[n/2]-d[n/2-1])/2
}

// pairRTTms is the candidate pair's RTT: ΔtotalRoundTripTime/ΔresponsesReceived over the interval
// (same pair id), else currentRoundTripTime.
func pairRTTms(prev, cur *Sample) (float64, bool) {
	if cur == nil || cur.Pair == nil {
		return 0, false
	}
	cp := cur.Pair
	if prev != nil && prev.Pair != nil && (prev.Pair.ID == cp.ID || prev.Pair.ID == "" || cp.ID == "") {
		if dr, ok := Delta(prev.Pair.ResponsesReceived, cp.ResponsesReceived); ok && dr > 0 {
			if dt, ok := GaugeDelta(prev.Pair.TotalRoundTripTime, cp.TotalRoundTripTime); ok {
				return dt / float64(dr) * 1000, true
			}
		}
	}
	if cp.CurrentRoundTripTime.Valid {
		return cp.CurrentRoundTripTime.Value * 1000, true
	}
	return 0, false
}

func rttMs(prev *obs, cur obs) (float64, bool) {
	st := cur.stream
	if st.Direction == Outbound {
		if st.Remote != nil && st.Remote.RoundTripTime.Valid {
			return st.Remote.RoundTripTime.Value * 1000, true
		}
	} else {
		for _, r := range cur.sample.RemoteInbound {
			if r.Kind == st.Kind && r.RoundTripTime.Valid {
				return r.RoundTripTime.Value * 1000, true
			}
		}
	}
	var ps *Sample
	if prev != nil {
		ps = prev.sample
	}
	return pairRTTms(ps, cur.sample)
}

func lossPct(prev *obs, cur obs) (float64, bool) {
	st := cur.stream
	if st.Direction == Inbound {
		if prev == nil {
			return 0, false
		}
		return LossPct(prev.stream.PacketsLost, st.PacketsLost, prev.stream.Packets, st.Packets)
	}
	if st.Remote == nil {
		return 0, false
	}
	if prev != nil && prev.stream.Remote != nil && prev.stream.Remote.PacketsReceived.Valid && st.Remote.PacketsReceived.Valid {
		pr := prev.stream.Remote
		return LossPct(pr.PacketsLost, st.Remote.PacketsLost, pr.PacketsReceived, st.Remote.PacketsReceived)
	}
	if st.Remote.FractionLost.Valid {
		return clamp(st.Remote.FractionLost.Value*100, 0, 100), true
	}
	return 0, false
}

func fps(prev *obs, cur obs) (float64, bool) {
	st := cur.stream
	if !st.Frames.Valid && !st.FramesAlt.Valid {
		// no frame counter at all (old SDK shapes): the browser's own gauge
		return st.FramesPerSecond.Value, st.FramesPerSecond.Valid
	}
	if prev == nil {
		return 0, false
	}
	p, c := prev.sample.Time, cur.sample.Time
	if prev.stream.Frames.Valid && st.Frames.Valid {
		return Rate(Reading{p, prev.stream.Frames}, Reading{c, st.Frames})
	}
	return Rate(Reading{p, prev.stream.FramesAlt}, Reading{c, st.FramesAlt})
}

// jitterBufferMs is the jitter buffer delay per emitted sample: over the interval when both deltas
// are valid and samples were emitted, else the cumulative average, else 0.
func jitterBufferMs(prev *obs, st *StreamStats) float64 {
	if prev != nil {
		if de, ok := Delta(prev.stream.JitterBufferEmittedCount, st.JitterBufferEmittedCount); ok && de > 0 {
			if dd, ok := GaugeDelta(prev.stream.JitterBufferDelay, st.JitterBufferDelay); ok {
				return dd / float64(de) * 1000
			}
		}
	}
	if st.JitterBufferDelay.Valid && st.JitterBufferEmittedCount.Valid && st.JitterBufferEmittedCount.Value > 0 {
		return st.JitterBufferDelay.Value / float64(st.JitterBufferEmittedCount.Value) * 1000
	}
	return 0
}

func point(prev *obs, cur obs) Point {
	st := cur.stream
	p := Point{Time: cur.sample.Time}
	var br float64
	var brOK bool
	if prev != nil {
		pt, ct := prev.sample.Time, cur.sample.Time
		br, brOK = Bitrate(ByteReading{pt, prev.stream.Bytes, prev.stream.HeaderBytes}, ByteReading{ct, st.Bytes, st.HeaderBytes})
		p.Bitrate = ptr(br, brOK)
		p.PacketRate = ptr(PacketRate(Reading{pt, prev.stream.Packets}, Reading{ct, st.Packets}))
	}
	loss, lossOK := lossPct(prev, cur)
	p.LossPct = ptr(loss, lossOK)
	if st.Direction == Inbound {
		p.JitterMs = ptr(st.Jitter.Value*1000, st.Jitter.Valid)
	} else if st.Remote != nil {
		p.JitterMs = ptr(st.Remote.Jitter.Value*1000, st.Remote.Jitter.Valid)
	}
	rtt, rttOK := rttMs(prev, cur)
	p.RttMs = ptr(rtt, rttOK)
	if st.Kind == Video {
		p.FPS = ptr(fps(prev, cur))
		p.FrameHeight = ptr(st.FrameHeight.Value, st.FrameHeight.Valid)
	}
	if st.Kind == Audio && st.Direction == Inbound && lossOK {
		in := EMOSInput{RTTMs: rtt, JitterBufferDelayMs: jitterBufferMs(prev, st), LossPct: loss}
		if brOK {
			in.BitrateBps = br
		}
		if prev != nil {
			if d, ok := Delta(prev.stream.FECPacketsReceived, st.FECPacketsReceived); ok && d > 0 {
				in.FEC = true
			}
		}
		m := EMOS(in)
		p.MOS = &m
	}
	return p
}
