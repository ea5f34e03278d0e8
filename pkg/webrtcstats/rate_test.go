package webrtcstats

import (
	"errors"
	"math"
	"testing"
	"time"
)

var t0 = time.Date(2024, 5, 1, 10, 0, 0, 0, time.UTC)

func at(sec float64) time.Time { return t0.Add(time.Duration(sec * float64(time.Second))) }

func c(v uint64) Counter { return Counter{Value: v, Valid: true} }

func sc(v int64) SignedCounter { return SignedCounter{Value: v, Valid: true} }

func TestParseCounter(t *testing.T) {
	tests := []struct {
		raw     string
		want    uint64
		wantErr error
	}{
		{`0`, 0, nil},
		{`123`, 123, nil},
		{` 42 `, 42, nil},
		{`"123"`, 123, nil},
		{`" 77 "`, 77, nil},
		{`"42n"`, 42, nil}, // BigInt written with its literal suffix
		{`9007199254740993`, 9007199254740993, nil},       // 2^53+1: float64 would read 2^53
		{`18446744073709551615`, math.MaxUint64, nil},     // 2^64−1 exactly
		{`"18446744073709551615"`, math.MaxUint64, nil},   // as a numeric string
		{`18446744073709551615.000`, math.MaxUint64, nil}, // all-zero fraction stays exact
		{`1e3`, 1000, nil},                    // exponent form of an integer
		{`1.5E2`, 150, nil},                   // 1.5·10^2
		{`-0`, 0, nil},                        // negative zero is zero
		{`18446744073709551616`, 0, ErrRange}, // 2^64
		{`1e20`, 0, ErrRange},                 // > 2^64−1
		{`1e400`, 0, ErrRange},                // infinite as float64
		{`-1`, 0, ErrNegative},                // counters never go below 0
		{`"-5"`, 0, ErrNegative},              //
		{`1.5`, 0, ErrNotInteger},             // a counter has no fraction
		{`null`, 0, ErrAbsent},                //
		{``, 0, ErrAbsent},                    //
		{`"NaN"`, 0, ErrNotNumber},            //
		{`NaN`, 0, ErrNotNumber},              // not even JSON
		{`"Infinity"`, 0, ErrNotNumber},       //
		{`"0x10"`, 0, ErrNotNumber},           // strconv would accept hex; we do not
		{`"1_000"`, 0, ErrNotNumber},          // nor underscores
		{`"abc"`, 0, ErrNotNumber},            //
		{`""`, 0, ErrNotNumber},               //
		{`"n"`, 0, ErrNotNumber},              //
		{`true`, 0, ErrNotNumber},             //
		{`{}`, 0, ErrNotNumber},               //
		{`[1]`, 0, ErrNotNumber},              //
		{`"12`, 0, ErrNotNumber},              // unterminated string
		{`1e`, 0, ErrNotNumber},               //
	}
	for _, tt := range tests {
		got, err := ParseCounter([]byte(tt.raw))
		if !errors.Is(err, tt.wantErr) || (err == nil && got != tt.want) {
			t.Errorf("ParseCounter(%q) = %d, %v; want %d, %v", tt.raw, got, err, tt.want, tt.wantErr)
		}
	}
}

func TestParseSignedCounterAndGauge(t *testing.T) {
	if v, err := ParseSignedCounter([]byte(`-3`)); err != nil || v != -3 {
		t.Errorf("signed -3: %d %v", v, err)
	}
	if v, err := ParseSignedCounter([]byte(`-9223372036854775808`)); err != nil || v != math.MinInt64 {
		t.Errorf("signed min: %d %v", v, err)
	}
	if _, err := ParseSignedCounter([]byte(`9223372036854775808`)); !errors.Is(err, ErrRange) {
		t.Errorf("signed 2^63: %v", err)
	}
	if v, err := ParseGauge([]byte(`"0.025"`)); err != nil || v != 0.025 {
		t.Errorf("gauge: %v %v", v, err)
	}
	for _, bad := range []string{`"NaN"`, `"-Inf"`, `"infinity"`, `1e999`, `"0x1p-2"`, `{}`, `"x"`} {
		if _, err := ParseGauge([]byte(bad)); err == nil {
			t.Errorf("ParseGauge(%s) accepted", bad)
		}
	}
}

func TestRate(t *testing.T) {
	tests := []struct {
		name      string
		prev, cur Reading
		want      float64
		ok        bool
	}{
		// (6000 − 1000) / 10 s = 500 /s
		{"steady", Reading{at(0), c(1000)}, Reading{at(10), c(6000)}, 500, true},
		// (100 − 0) / 0.5 s = 200 /s
		{"sub-second interval", Reading{at(0), c(0)}, Reading{at(0.5), c(100)}, 200, true},
		{"missing previous", Reading{}, Reading{at(10), c(6000)}, 0, false},
		{"previous counter absent", Reading{at(0), Counter{}}, Reading{at(10), c(6000)}, 0, false},
		{"current counter absent", Reading{at(0), c(1)}, Reading{at(10), Counter{}}, 0, false},
		{"time did not advance", Reading{at(10), c(1000)}, Reading{at(10), c(6000)}, 0, false},
		{"time went back", Reading{at(10), c(1000)}, Reading{at(5), c(6000)}, 0, false},
		// counter reset: 5000 → 100 must not give −490/s nor a spike
		{"counter reset", Reading{at(0), c(5000)}, Reading{at(10), c(100)}, 0, false},
		// unchanged counter: 0 /s is a real value
		{"idle", Reading{at(0), c(7)}, Reading{at(10), c(7)}, 0, true},
		// 18446744073709551615 − 18446744073709551000 = 615 over 1 s; as float64 both are 2^64 (delta 0)
		{"BigInt near 2^64", Reading{at(0), c(18446744073709551000)}, Reading{at(1), c(math.MaxUint64)}, 615, true},
		// 9007199254740995 − 9007199254740993 = 2 over 2 s = 1 /s; float64 would say (2^53+4 − 2^53)/2 = 2
		{"beyond 2^53", Reading{at(0), c(9007199254740993)}, Reading{at(2), c(9007199254740995)}, 1, true},
	}
	for _, tt := range tests {
		got, ok := Rate(tt.prev, tt.cur)
		if ok != tt.ok || got != tt.want {
			t.Errorf("%s: Rate = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
		if got < 0 {
			t.Errorf("%s: negative rate %v", tt.name, got)
		}
	}
	// The float64 path really would be wrong here, which is why deltas are taken in integers.
	a, b := uint64(9007199254740993), uint64(9007199254740995)
	if float64(b)-float64(a) == 2 {
		t.Fatal("float64 unexpectedly exact; the beyond-2^53 case proves nothing")
	}
}

func TestPacketRateIsPerSecond(t *testing.T) {
	// 500 packets in 10 s = 50 packets/s (older SDKs reported 8× that: 400)
	got, ok := PacketRate(Reading{at(0), c(0)}, Reading{at(10), c(500)})
	if !ok || got != 50 {
		t.Fatalf("PacketRate = %v, %v; want 50", got, ok)
	}
}

func TestBitrate(t *testing.T) {
	tests := []struct {
		name      string
		prev, cur ByteReading
		want      float64
		ok        bool
	}{
		// 125000 B · 8 / 10 s = 100000 bit/s
		{"payload only", ByteReading{at(0), c(0), Counter{}}, ByteReading{at(10), c(125000), Counter{}}, 100000, true},
		// (100000 + 25000) B · 8 / 10 s = 100000 bit/s
		{"payload + header", ByteReading{at(0), c(0), c(0)}, ByteReading{at(10), c(100000), c(25000)}, 100000, true},
		// header only in the current sample: payload alone, 100000 · 8 / 10 = 80000
		{"header missing in prev", ByteReading{at(0), c(0), Counter{}}, ByteReading{at(10), c(100000), c(25000)}, 80000, true},
		{"header regressed", ByteReading{at(0), c(0), c(500)}, ByteReading{at(10), c(100000), c(10)}, 0, false},
		{"payload regressed", ByteReading{at(0), c(900), c(0)}, ByteReading{at(10), c(100), c(10)}, 0, false},
		{"no previous", ByteReading{}, ByteReading{at(10), c(100), c(10)}, 0, false},
		{"same time", ByteReading{at(10), c(0), c(0)}, ByteReading{at(10), c(100), c(10)}, 0, false},
		// payload 615 + header (2^64−1 − (2^64−1000)) = 615 + 999 = 1614 B · 8 / 1 s = 12912
		{"BigInt payload and header", ByteReading{at(0), c(18446744073709551000), c(math.MaxUint64 - 999)},
			ByteReading{at(1), c(math.MaxUint64), c(math.MaxUint64)}, 12912, true},
	}
	for _, tt := range tests {
		got, ok := Bitrate(tt.prev, tt.cur)
		if ok != tt.ok || got != tt.want {
			t.Errorf("%s: Bitrate = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
	// Sum overflowing uint64: (2^64−1) + (2^64−1) = 2^65 − 2 bytes · 8 / 8 s = 2^65 − 2 ≈ 3.6893488147419103e19
	got, ok := Bitrate(ByteReading{at(0), c(0), c(0)}, ByteReading{at(8), c(math.MaxUint64), c(math.MaxUint64)})
	if want := math.Ldexp(1, 65); !ok || math.Abs(got-want)/want > 1e-15 {
		t.Errorf("overflowing sum: %v, %v; want ≈ %v", got, ok, want)
	}
}

func TestLossPct(t *testing.T) {
	tests := []struct {
		name   string
		pl, cl SignedCounter
		pr, cr Counter
		want   float64
		ok     bool
	}{
		// Δlost 5, Δreceived 95: 5 / 100 · 100 = 5 %
		{"5 percent", sc(10), sc(15), c(1000), c(1095), 5, true},
		// Δlost 0, Δreceived 100 → 0 %
		{"no loss", sc(3), sc(3), c(0), c(100), 0, true},
		// Δlost 10, Δreceived 0 → 10 / 10 = 100 %
		{"all lost", sc(0), sc(10), c(50), c(50), 100, true},
		// packetsLost may be negative (duplicates): −3 → 2 is Δ 5; 5 / (5 + 95) = 5 %
		{"negative lost counter", sc(-3), sc(2), c(0), c(95), 5, true},
		{"no packets in interval", sc(4), sc(4), c(50), c(50), 0, false},
		{"lost regressed", sc(10), sc(2), c(0), c(100), 0, false},
		{"received regressed", sc(0), sc(1), c(100), c(5), 0, false},
		{"lost missing", SignedCounter{}, sc(1), c(0), c(100), 0, false},
	}
	for _, tt := range tests {
		got, ok := LossPct(tt.pl, tt.cl, tt.pr, tt.cr)
		if ok != tt.ok || got != tt.want {
			t.Errorf("%s: LossPct = %v, %v; want %v, %v", tt.name, got, ok, tt.want, tt.ok)
		}
	}
}
