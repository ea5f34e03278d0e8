package webrtcstats

import (
	"math/bits"
	"time"
)

// Reading is one observation of a counter at a point in time.
type Reading struct {
	Time time.Time
	Counter
}

// ByteReading is one observation of a stream's byte counters: payload bytes (bytesReceived or
// bytesSent) and RTP header bytes (headerBytesReceived or headerBytesSent).
type ByteReading struct {
	Time    time.Time
	Payload Counter
	Header  Counter
}

// Delta returns cur − prev computed in integers. ok is false when either counter is invalid or the
// counter went down (reset), so a delta is never negative.
func Delta(prev, cur Counter) (uint64, bool) {
	if !prev.Valid || !cur.Valid || cur.Value < prev.Value {
		return 0, false
	}
	return cur.Value - prev.Value, true
}

// SignedDelta is Delta for signed counters; the difference is returned as uint64 so that it is exact
// even for extreme values.
func SignedDelta(prev, cur SignedCounter) (uint64, bool) {
	if !prev.Valid || !cur.Valid || cur.Value < prev.Value {
		return 0, false
	}
	return uint64(cur.Value) - uint64(prev.Value), true // two's complement: exact since cur ≥ prev
}

// GaugeDelta is the difference of a cumulative float counter (jitterBufferDelay,
// totalRoundTripTime), with the same reset rule.
func GaugeDelta(prev, cur Gauge) (float64, bool) {
	if !prev.Valid || !cur.Valid || cur.Value < prev.Value {
		return 0, false
	}
	return cur.Value - prev.Value, true
}

// seconds is the time between two readings; ok is false unless time advanced.
func seconds(prev, cur time.Time) (float64, bool) {
	d := cur.Sub(prev)
	if d <= 0 {
		return 0, false
	}
	return d.Seconds(), true
}

// Rate is (cur − prev) per second. ok is false (a null) when a reading is missing or invalid, when
// the time did not advance, or when the counter went down (ICE restart, stats reset). The delta is
// taken in uint64 before the conversion to float64, so it is exact for counters beyond 2^53.
func Rate(prev, cur Reading) (float64, bool) {
	dt, ok := seconds(prev.Time, cur.Time)
	if !ok {
		return 0, false
	}
	d, ok := Delta(prev.Counter, cur.Counter)
	if !ok {
		return 0, false
	}
	return float64(d) / dt, true
}

// PacketRate is Rate over a packets counter: packets per second (never ×8).
func PacketRate(prev, cur Reading) (float64, bool) { return Rate(prev, cur) }

// Bitrate is the bit rate in bit/s: rate(payload bytes + header bytes)·8. Header bytes are added when
// both readings carry them, and then both deltas must be valid; when either reading lacks header
// bytes the payload bytes alone are used. ok is false as for Rate.
func Bitrate(prev, cur ByteReading) (float64, bool) {
	dt, ok := seconds(prev.Time, cur.Time)
	if !ok {
		return 0, false
	}
	d, ok := Delta(prev.Payload, cur.Payload)
	if !ok {
		return 0, false
	}
	bytesF := float64(d)
	if prev.Header.Valid && cur.Header.Valid {
		h, ok := Delta(prev.Header, cur.Header)
		if !ok {
			return 0, false
		}
		sum, carry := bits.Add64(d, h, 0)
		bytesF = float64(sum) + float64(carry)*(1<<64)
	}
	return bytesF * 8 / dt, true
}

// LossPct is the packet loss over an interval in percent: Δlost / (Δlost + Δreceived)·100. ok is
// false when either counter is missing or went down, and when no packet was expected in the interval
// (Δlost + Δreceived = 0): a stalled stream has no loss figure rather than a perfect one.
func LossPct(prevLost, curLost SignedCounter, prevReceived, curReceived Counter) (float64, bool) {
	dl, ok := SignedDelta(prevLost, curLost)
	if !ok {
		return 0, false
	}
	dr, ok := Delta(prevReceived, curReceived)
	if !ok {
		return 0, false
	}
	total := float64(dl) + float64(dr) // float: the sum may exceed uint64, precision is irrelevant here
	if total == 0 {
		return 0, false
	}
	return float64(dl) / total * 100, true
}
