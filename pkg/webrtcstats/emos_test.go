package webrtcstats

import (
	"math"
	"testing"
)

// Every expected value below was worked out by hand from the formula in peermetrics-schema.md.
func TestEMOS(t *testing.T) {
	tests := []struct {
		name string
		in   EMOSInput
		want float64
	}{
		// d = 20; Ie = 6; Ipl = 6 + 94·0/10 = 6; Id = 0.6; R = 100 − 6 − 0.6 = 93.4
		// MOS = 1 + 0.035·93.4 + 7e-6·93.4·33.4·6.6 = 1 + 3.269 + 7e-6·20589.096 = 4.269 + 0.144124 = 4.41312
		{"ideal, unknown bitrate", EMOSInput{}, 4.41312},
		// d = 20 + 40 + 100/2 = 110; Ie = 6; Ipl = 6; Id = 0.03·110 = 3.3; R = 90.7
		// MOS = 1 + 3.1745 + 7e-6·90.7·30.7·9.3 = 4.1745 + 7e-6·25895.757 = 4.1745 + 0.181270 = 4.35577
		{"rtt 100 ms, jitter buffer 40 ms", EMOSInput{RTTMs: 100, JitterBufferDelayMs: 40}, 4.35577},
		// P = 20 (percent), Bpl = 10: Ipl = 6 + 94·20/30 = 6 + 62.6667 = 68.6667; Id = 0.6
		// R = 100 − 68.6667 − 0.6 = 30.7333 = 461/15; R−60 = −439/15; 100−R = 1039/15
		// R(R−60)(100−R) = −461·439·1039/3375 = −210271781/3375 = −62302.750
		// MOS = 1 + 0.035·30.7333 − 7e-6·62302.750 = 1 + 1.075667 − 0.436119 = 1.63955
		{"20 % loss in percent", EMOSInput{LossPct: 20}, 1.63955},
		// The Peermetrics mistake: 20 % fed as the fraction 0.2.
		// Ipl = 6 + 94·0.2/10.2 = 6 + 1.843137 = 7.843137; R = 100 − 7.843137 − 0.6 = 91.556863
		// MOS = 1 + 0.035·91.556863 + 7e-6·91.556863·31.556863·8.443137
		//     = 1 + 3.204490 + 7e-6·2889.2474·8.443137 = 4.204490 + 7e-6·24394.31 = 4.204490 + 0.170760 = 4.37525
		{"20 % loss fed as 0.2", EMOSInput{LossPct: 0.2}, 4.37525},
		// bitrate 32000, rtt 200, jb 60, 2 % loss, FEC:
		// d = 20 + 60 + 100 = 180; Id = 0.03·180 + 0.1·30 = 5.4 + 3 = 8.4
		// ln 32000 = ln 32 + ln 1000 = 3.4657359 + 6.9077553 = 10.3734912; Ie = 55 − 4.6·10.3734912 = 55 − 47.7180595 = 7.2819405
		// Bpl = 20; Ipl = 7.2819405 + 92.7180595·2/22 = 7.2819405 + 8.4289145 = 15.7108550
		// R = 100 − 15.710855 − 8.4 = 75.889145
		// MOS = 1 + 0.035·75.889145 + 7e-6·75.889145·15.889145·24.110855
		//     = 1 + 2.656120 + 7e-6·1205.81363·24.110855 = 3.656120 + 7e-6·29073.20 = 3.656120 + 0.203512 = 3.85963
		{"opus 32k, long delay, 2 % loss, FEC", EMOSInput{RTTMs: 200, JitterBufferDelayMs: 60, BitrateBps: 32000, LossPct: 2, FEC: true}, 3.85963},
		// bitrate 100 bps: 55 − 4.6·ln 100 = 55 − 4.6·4.60517 = 33.816 → Ie clamps to 30
		// Ipl = 30; Id = 0.6; R = 69.4; MOS = 1 + 2.429 + 7e-6·69.4·9.4·30.6 = 3.429 + 7e-6·19962.216 = 3.429 + 0.139736 = 3.56874
		{"Ie clamped high", EMOSInput{BitrateBps: 100}, 3.56874},
		// bitrate 1e9: 55 − 4.6·20.723 < 0 → Ie = 0; R = 100 − 0 − 0.6 = 99.4
		// MOS = 1 + 3.479 + 7e-6·99.4·39.4·0.6 = 4.479 + 7e-6·2349.816 = 4.479 + 0.016449 = 4.49545
		{"Ie clamped at 0", EMOSInput{BitrateBps: 1e9}, 4.49545},
		// 100 % loss, rtt 2000: Ipl = 6 + 94·100/110 = 91.4545; d = 1020, Id = 30.6 + 87 = 117.6
		// R = 100 − 91.4545 − 117.6 < 0 → 0; MOS = 1 + 0 + 0 = 1
		{"R clamped at 0", EMOSInput{RTTMs: 2000, LossPct: 100}, 1},
		// negative / NaN inputs are taken as 0: same as the ideal case, 4.41312
		{"garbage inputs", EMOSInput{RTTMs: -5, JitterBufferDelayMs: math.NaN(), BitrateBps: -1, LossPct: math.Inf(-1)}, 4.41312},
	}
	for _, tt := range tests {
		if got := EMOS(tt.in); math.Abs(got-tt.want) > 0.0005 {
			t.Errorf("%s: EMOS = %.5f; want %.5f", tt.name, got, tt.want)
		}
	}
}

// Loss in percent moves MOS as the E-model says; the same loss as a fraction barely does.
func TestEMOSLossUnits(t *testing.T) {
	clean := EMOS(EMOSInput{})                // 4.413 (hand-computed above)
	pct := EMOS(EMOSInput{LossPct: 20})       // 1.640
	fraction := EMOS(EMOSInput{LossPct: 0.2}) // 4.375
	if clean-pct < 2.5 {
		t.Errorf("20 %% loss should cost > 2.5 MOS points: %.3f → %.3f", clean, pct)
	}
	if clean-fraction > 0.05 {
		t.Errorf("0.2 should barely move MOS: %.3f → %.3f", clean, fraction)
	}
	prev := 5.0
	for _, p := range []float64{0, 1, 2, 5, 10, 20, 50, 100} {
		m := EMOS(EMOSInput{LossPct: p})
		if m > prev || m < 1 || m > 5 {
			t.Errorf("MOS not monotonic / out of range at %v %%: %v", p, m)
		}
		prev = m
	}
}
