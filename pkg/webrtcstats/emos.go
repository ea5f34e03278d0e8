package webrtcstats

import "math"

// EMOSInput holds the inputs of the eMOS formula for one inbound audio interval.
type EMOSInput struct {
	// RTTMs is the round-trip time in milliseconds (one-way delay is taken as RTT/2).
	RTTMs float64
	// JitterBufferDelayMs is the jitter buffer delay per emitted sample in milliseconds:
	// jitterBufferDelay / jitterBufferEmittedCount · 1000.
	JitterBufferDelayMs float64
	// BitrateBps is the audio bit rate in bit/s; 0 (or less) means unknown.
	BitrateBps float64
	// LossPct is the packet loss over the interval in PERCENT (0–100), not a 0–1 fraction.
	LossPct float64
	// FEC is true when forward error correction packets were received in the interval.
	FEC bool
}

func clamp(v, lo, hi float64) float64 { return math.Min(math.Max(v, lo), hi) }

// EMOS is the Peermetrics eMOS (a simplified ITU-T G.107 E-model), exactly as the schema page states:
//
//	d   = 20 + jitterBufferDelayMs + rtt/2
//	Ie  = clamp(55 − 4.6·ln(bitrate bps), 0, 30), or 6 when the bitrate is unknown
//	Bpl = 20 with FEC, else 10
//	Ipl = Ie + (100 − Ie)·P/(P + Bpl)           with P = loss in percent
//	Id  = 0.03·d + 0.1·(d − 150)·[d > 150]
//	R   = clamp(100 − Ipl − Id, 0, 100)
//	MOS = clamp(1 + 0.035·R + 7·10⁻⁶·R(R − 60)(100 − R), 1, 5)
//
// Peermetrics itself feeds P as a 0–1 fraction, under which 20 % loss barely lowers the score; here P
// is in percent over the interval, as the E-model's Bpl constants assume. Negative or non-finite
// inputs are treated as 0; the result is not rounded.
func EMOS(in EMOSInput) float64 {
	nz := func(v float64) float64 {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return 0
		}
		return v
	}
	rtt, jb, p := nz(in.RTTMs), nz(in.JitterBufferDelayMs), math.Min(nz(in.LossPct), 100)
	d := 20 + jb + rtt/2
	ie := 6.0
	if br := nz(in.BitrateBps); br > 0 {
		ie = clamp(55-4.6*math.Log(br), 0, 30)
	}
	bpl := 10.0
	if in.FEC {
		bpl = 20
	}
	ipl := ie + (100-ie)*p/(p+bpl)
	id := 0.03 * d
	if d > 150 {
		id += 0.1 * (d - 150)
	}
	r := clamp(100-ipl-id, 0, 100)
	return clamp(1+0.035*r+7e-6*r*(r-60)*(100-r), 1, 5)
}
