package webrtcstats

import (
	"math"
	"testing"
	"time"
)

// FuzzReaders complements FuzzParseSample (which checks that nothing panics) with the readers'
// contracts on any JSON value: the Read* wrappers agree with the Parse* functions, a counter is also
// a signed counter and a gauge of (nearly) the same value, gauges are finite, and deltas, rates and
// loss computed from any two readings are never negative (loss within 0–100 %). `go test -fuzz
// FuzzReaders ./pkg/webrtcstats/` explores further.
func FuzzReaders(f *testing.F) {
	for _, s := range []string{`0`, `1`, `"42n"`, `" 7 "`, `1e3`, `1.0`, `1.5`, `-0`, `-1`, `18446744073709551615`,
		`18446744073709551616`, `9223372036854775808`, `-9223372036854775808`, `1e308`, `1e309`, `"NaN"`, `"Infinity"`,
		`0x10`, `1_000`, `true`, `null`, `""`, `"n"`, `{}`, `[]`, `"1e-400"`, `00012`, `+5`, `.5`, `5.`} {
		f.Add([]byte(s), []byte(`10`), int64(1000))
	}
	f.Fuzz(func(t *testing.T, a, b []byte, ms int64) {
		for _, raw := range [][]byte{a, b} {
			cv, cerr := ParseCounter(raw)
			if c := ReadCounter(raw); c.Valid != (cerr == nil) || (c.Valid && c.Value != cv) {
				t.Fatalf("ReadCounter(%q) = %+v, ParseCounter = %v, %v", raw, c, cv, cerr)
			}
			sv, serr := ParseSignedCounter(raw)
			if s := ReadSignedCounter(raw); s.Valid != (serr == nil) || (s.Valid && s.Value != sv) {
				t.Fatalf("ReadSignedCounter(%q) = %+v, ParseSignedCounter = %v, %v", raw, s, sv, serr)
			}
			gv, gerr := ParseGauge(raw)
			if g := ReadGauge(raw); g.Valid != (gerr == nil) || (g.Valid && g.Value != gv) {
				t.Fatalf("ReadGauge(%q) = %+v, ParseGauge = %v, %v", raw, g, gv, gerr)
			}
			if gerr == nil && (math.IsNaN(gv) || math.IsInf(gv, 0)) {
				t.Fatalf("ParseGauge(%q) = %v", raw, gv)
			}
			if cerr == nil {
				if cv <= math.MaxInt64 && (serr != nil || uint64(sv) != cv) {
					t.Fatalf("counter %q = %d but signed = %d, %v", raw, cv, sv, serr)
				}
				if gerr != nil || math.Abs(gv-float64(cv)) > 1e-6*math.Max(1, float64(cv)) {
					t.Fatalf("counter %q = %d but gauge = %v, %v", raw, cv, gv, gerr)
				}
			}
			if serr == nil && sv >= 0 && (cerr != nil || cv != uint64(sv)) {
				t.Fatalf("signed counter %q = %d but counter = %d, %v", raw, sv, cv, cerr)
			}
		}
		t0 := time.Unix(1700000000, 0)
		t1 := t0.Add(time.Duration(ms) * time.Millisecond)
		ca, cb := ReadCounter(a), ReadCounter(b)
		if d, ok := Delta(ca, cb); ok && (cb.Value < ca.Value || d != cb.Value-ca.Value) {
			t.Fatalf("Delta(%v, %v) = %d", ca, cb, d)
		}
		if r, ok := Rate(Reading{t0, ca}, Reading{t1, cb}); ok && (r < 0 || math.IsNaN(r) || ms <= 0) {
			t.Fatalf("Rate = %v over %d ms", r, ms)
		}
		if r, ok := Bitrate(ByteReading{t0, ca, cb}, ByteReading{t1, cb, ca}); ok && (r < 0 || math.IsNaN(r)) {
			t.Fatalf("Bitrate = %v", r)
		}
		if l, ok := LossPct(ReadSignedCounter(a), ReadSignedCounter(b), ca, cb); ok && (l < 0 || l > 100 || math.IsNaN(l)) {
			t.Fatalf("LossPct = %v", l)
		}
		if g, ok := GaugeDelta(ReadGauge(a), ReadGauge(b)); ok && (g < 0 || math.IsNaN(g)) {
			t.Fatalf("GaugeDelta = %v", g)
		}
		ga, gb := ReadGauge(a), ReadGauge(b)
		in := EMOSInput{RTTMs: ga.Value, JitterBufferDelayMs: gb.Value, BitrateBps: float64(ms), LossPct: ga.Value - gb.Value, FEC: ms%2 == 0}
		if m := EMOS(in); m < 1 || m > 5 || math.IsNaN(m) {
			t.Fatalf("EMOS(%+v) = %v", in, m)
		}
	})
}
