package webrtcstats

import (
	"fmt"
	"math"
	"strings"
	"testing"
	"time"
)

func f(v float64) *float64 { return &v }

func mustSample(t *testing.T, sec float64, js string) Sample {
	t.Helper()
	s, err := ParseSample(at(sec), []byte(js))
	if err != nil {
		t.Fatalf("ParseSample(%s): %v", js, err)
	}
	return s
}

func find(t *testing.T, ss []Series, k Kind, d Direction, id string) Series {
	t.Helper()
	for _, s := range ss {
		if s.Key == (SeriesKey{k, d, id}) {
			return s
		}
	}
	t.Fatalf("series %s/%s/%s not found in %+v", k, d, id, ss)
	return Series{}
}

func eqPtr(a, b *float64) bool {
	if a == nil || b == nil {
		return a == b
	}
	return math.Abs(*a-*b) <= 1e-6*math.Max(1, math.Abs(*b))
}

func show(p *float64) string {
	if p == nil {
		return "null"
	}
	return fmt.Sprint(*p)
}

func checkField(t *testing.T, name string, pts []Point, get func(Point) *float64, want []*float64) {
	t.Helper()
	if len(pts) != len(want) {
		t.Fatalf("%s: %d points, want %d", name, len(pts), len(want))
	}
	for i := range pts {
		if g := get(pts[i]); !eqPtr(g, want[i]) {
			t.Errorf("%s[%d] = %s; want %s", name, i, show(g), show(want[i]))
		}
	}
}

// Inbound video with a stats reset between t=20 s and t=30 s.
func videoRow(bytes, packets, frames, total, responses string) string {
	return `{"connection":{"id":"CP1","currentRoundTripTime":0.07,"totalRoundTripTime":` + total +
		`,"responsesReceived":` + responses + `},"remote":{},"audio":{"inbound":[],"outbound":[]},` +
		`"video":{"inbound":[{"id":"IT01V","bytesReceived":` + bytes + `,"packetsReceived":` + packets +
		`,"packetsLost":0,"framesDecoded":` + frames + `,"framesPerSecond":99,"frameHeight":720,"jitter":0.005,` +
		`"bitrate":0,"packetRate":800}],"outbound":[]}}`
}

var videoRows = []struct {
	sec                                      float64
	bytes, packets, frames, total, responses string
}{
	{0, "0", "0", "0", "0", "0"},
	{10, "125000", "100", "300", "0.5", "10"},
	{20, "250000", "200", "600", "1.0", "20"},
	{30, "1000", "5", "10", "1.5", "30"}, // stats reset: every stream counter restarted
	{40, "126000", "105", "310", "2.0", "40"},
}

// Hand-computed expectations for videoRows:
//
//	bitrate:    null, 125000·8/10 = 100000, 125000·8/10 = 100000, null (250000→1000), 125000·8/10 = 100000
//	packetRate: null, 100/10 = 10, 10, null (200→5), 100/10 = 10 packets/s (the SDK's own 800 is ignored)
//	loss:       null, 0/(0+100) = 0 %, 0 %, null (received went down), 0 %
//	fps:        null, 300/10 = 30, 30, null (600→10), 300/10 = 30 (framesPerSecond 99 ignored)
//	rtt:        0.07 s → 70 (no previous pair sample), then Δtotal/Δresponses = 0.5/10 s = 50 ms
//	jitter 5 ms, frame height 720 throughout
var (
	wantVideoBitrate = []*float64{nil, f(100000), f(100000), nil, f(100000)}
	wantVideoPackets = []*float64{nil, f(10), f(10), nil, f(10)}
	wantVideoLoss    = []*float64{nil, f(0), f(0), nil, f(0)}
	wantVideoFPS     = []*float64{nil, f(30), f(30), nil, f(30)}
)

func TestSeriesResetNeverNegative(t *testing.T) {
	var samples []Sample
	for _, r := range videoRows {
		samples = append(samples, mustSample(t, r.sec, videoRow(r.bytes, r.packets, r.frames, r.total, r.responses)))
	}
	ss := BuildSeries(samples)
	if len(ss) != 1 {
		t.Fatalf("want 1 series, got %+v", ss)
	}
	s := find(t, ss, Video, Inbound, "IT01V")
	p := s.Points
	checkField(t, "bitrate", p, func(p Point) *float64 { return p.Bitrate }, wantVideoBitrate)
	checkField(t, "packetRate", p, func(p Point) *float64 { return p.PacketRate }, wantVideoPackets)
	checkField(t, "loss", p, func(p Point) *float64 { return p.LossPct }, wantVideoLoss)
	checkField(t, "fps", p, func(p Point) *float64 { return p.FPS }, wantVideoFPS)
	checkField(t, "rtt", p, func(p Point) *float64 { return p.RttMs }, []*float64{f(70), f(50), f(50), f(50), f(50)})
	checkField(t, "jitter", p, func(p Point) *float64 { return p.JitterMs }, []*float64{f(5), f(5), f(5), f(5), f(5)})
	checkField(t, "height", p, func(p Point) *float64 { return p.FrameHeight }, []*float64{f(720), f(720), f(720), f(720), f(720)})
	checkField(t, "mos", p, func(p Point) *float64 { return p.MOS }, []*float64{nil, nil, nil, nil, nil}) // video: no MOS

	// Same rows in shuffled order give the same series (samples are sorted by time).
	shuffled := []Sample{samples[3], samples[0], samples[4], samples[2], samples[1]}
	s2 := find(t, BuildSeries(shuffled), Video, Inbound, "IT01V")
	checkField(t, "shuffled bitrate", s2.Points, func(p Point) *float64 { return p.Bitrate }, wantVideoBitrate)
}

// The same call as summary.data (trimmed track entries, Python timestamps) gives the same rates.
func TestSummaryMatchesRawRows(t *testing.T) {
	var b strings.Builder
	b.WriteString("[")
	for i, r := range videoRows {
		if i > 0 {
			b.WriteString(",")
		}
		ts := at(r.sec).Format("2006-01-02 15:04:05.000000-07:00")
		fmt.Fprintf(&b, `{"id":"e%d","connection":"conn-1","participant":"p1","peer":"p2","session":"s1","created_at":%q,"type":"stats",`+
			`"data":{"connection":{"id":"CP1","bytesSent":null,"packetsSent":null,"responsesReceived":%s,"totalRoundTripTime":%s},"remote":{},`+
			`"audio":{"inbound":[],"outbound":[]},"video":{"inbound":[{"id":"IT01V","mediaType":"video","headerBytesReceived":null,`+
			`"bytesReceived":%s,"packetsReceived":%s,"packetsLost":0,"jitter":0.005,"frameWidth":1280,"frameHeight":720,`+
			`"framesReceived":%s,"framesDecoded":%s,"totalDecodeTime":1.5}],"outbound":[]}}}`,
			i, ts, r.responses, r.total, r.bytes, r.packets, r.frames, r.frames)
	}
	// a snapshot of another connection and junk entries
	b.WriteString(`,{"connection":"conn-2","created_at":"2024-05-01T10:00:05Z","data":{"video":{"inbound":[{"id":"X","bytesReceived":1}]}}}`)
	b.WriteString(`,42,{"created_at":"yesterday","data":{}},{"created_at":"2024-05-01 10:00:00+00","data":"x"}]`)

	snaps, skipped, err := ParseSummary([]byte(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	if skipped != 3 {
		t.Errorf("skipped = %d, want 3", skipped)
	}
	byConn := SamplesByConnection(snaps)
	if len(byConn["conn-1"]) != 5 || len(byConn["conn-2"]) != 1 {
		t.Fatalf("grouping: %d / %d samples", len(byConn["conn-1"]), len(byConn["conn-2"]))
	}
	if got := byConn["conn-1"][1].Time; !got.Equal(at(10)) {
		t.Errorf("created_at parsed as %v", got)
	}
	s := find(t, BuildSeries(byConn["conn-1"]), Video, Inbound, "IT01V")
	p := s.Points
	checkField(t, "bitrate", p, func(p Point) *float64 { return p.Bitrate }, wantVideoBitrate)
	checkField(t, "packetRate", p, func(p Point) *float64 { return p.PacketRate }, wantVideoPackets)
	checkField(t, "loss", p, func(p Point) *float64 { return p.LossPct }, wantVideoLoss)
	checkField(t, "fps", p, func(p Point) *float64 { return p.FPS }, wantVideoFPS)
	// the summary keeps no currentRoundTripTime: the first RTT is null, later ones 0.5/10 s = 50 ms
	checkField(t, "rtt", p, func(p Point) *float64 { return p.RttMs }, []*float64{nil, f(50), f(50), f(50), f(50)})

	for _, empty := range []string{``, `null`, `{}`, `[]`} {
		if s, _, err := ParseSummary([]byte(empty)); err != nil || len(s) != 0 {
			t.Errorf("ParseSummary(%q) = %v, %v", empty, s, err)
		}
	}
	if _, _, err := ParseSummary([]byte(`"nope"`)); err == nil {
		t.Error("a string summary should be an error")
	}
}

// Inbound audio MOS from counters: the "opus 32k" case of TestEMOS, reached through a stats row.
func TestSeriesAudioMOS(t *testing.T) {
	row := func(bytes, header, recv, lost, jbd, jbe, fec string) string {
		return `{"connection":{"id":"CP1","currentRoundTripTime":0.5},` +
			`"remote":{"audio":{"inbound":[{"id":"RIA","localId":"OT01A","roundTripTime":0.2,"jitter":0.003,"fractionLost":0.01}],"outbound":[]},"video":{}},` +
			`"audio":{"inbound":[{"id":"IT01A","bytesReceived":` + bytes + `,"headerBytesReceived":` + header +
			`,"packetsReceived":` + recv + `,"packetsLost":` + lost + `,"jitter":0.012,"jitterBufferDelay":` + jbd +
			`,"jitterBufferEmittedCount":` + jbe + `,"fecPacketsReceived":` + fec + `,"emos":4.9,"bitrate":0}],` +
			`"outbound":[{"id":"OT01A","bytesSent":1000,"packetsSent":10}]},"video":{"inbound":[],"outbound":[]}}`
	}
	samples := []Sample{
		mustSample(t, 0, row("10000", "2000", "1000", "10", "1.2", "20", "0")),
		mustSample(t, 10, row("42000", "10000", "1490", "20", "30.0", "500", "4")),
	}
	in := find(t, BuildSeries(samples), Audio, Inbound, "IT01A")
	// bitrate = ((42000−10000) + (10000−2000))·8/10 = 40000·8/10 = 32000 bit/s
	// packets = 490/10 = 49 /s; loss = 10/(10+490) = 2 %; jitter 12 ms
	// rtt: same-kind remote-inbound roundTripTime 0.2 s = 200 ms (preferred over the pair's 500 ms)
	// jitter buffer: (30.0−1.2)/(500−20)·1000 = 28.8/480·1000 = 60 ms; FEC: Δ4 > 0
	// MOS inputs = {rtt 200, jb 60, 32000 bps, 2 %, FEC} → 3.85963 (worked out in TestEMOS)
	p := in.Points
	checkField(t, "bitrate", p, func(p Point) *float64 { return p.Bitrate }, []*float64{nil, f(32000)})
	checkField(t, "packetRate", p, func(p Point) *float64 { return p.PacketRate }, []*float64{nil, f(49)})
	checkField(t, "loss", p, func(p Point) *float64 { return p.LossPct }, []*float64{nil, f(2)})
	checkField(t, "rtt", p, func(p Point) *float64 { return p.RttMs }, []*float64{f(200), f(200)})
	checkField(t, "jitter", p, func(p Point) *float64 { return p.JitterMs }, []*float64{f(12), f(12)})
	checkField(t, "fps", p, func(p Point) *float64 { return p.FPS }, []*float64{nil, nil})
	if p[0].MOS != nil {
		t.Errorf("first point MOS = %v, want null (no interval loss yet)", *p[0].MOS)
	}
	if p[1].MOS == nil || math.Abs(*p[1].MOS-3.85963) > 0.01 {
		t.Errorf("MOS = %s, want 3.85963 ± 0.01", show(p[1].MOS))
	}

	// Outbound audio takes RTT, jitter and loss from its remote-inbound report (matched by localId):
	// rtt 0.2 s = 200 ms, jitter 0.003 s = 3 ms, fractionLost 0.01 → 1 %; bitrate Δ0 → 0 bit/s.
	out := find(t, BuildSeries(samples), Audio, Outbound, "OT01A")
	q := out.Points
	checkField(t, "out rtt", q, func(p Point) *float64 { return p.RttMs }, []*float64{f(200), f(200)})
	checkField(t, "out jitter", q, func(p Point) *float64 { return p.JitterMs }, []*float64{f(3), f(3)})
	checkField(t, "out loss", q, func(p Point) *float64 { return p.LossPct }, []*float64{f(1), f(1)})
	checkField(t, "out bitrate", q, func(p Point) *float64 { return p.Bitrate }, []*float64{nil, f(0)})
	checkField(t, "out mos", q, func(p Point) *float64 { return p.MOS }, []*float64{nil, nil})
}

// An outbound entry merged by the SDK with its remote-inbound report ({...outbound, ...remoteInbound})
// carries the remote's id and type; localId names the stream again.
func TestSeriesMergedOutboundEntry(t *testing.T) {
	row := func(sent string) string {
		return `{"connection":{},"video":{"outbound":[{"id":"RIV1","type":"remote-inbound-rtp","localId":"OT01V",` +
			`"bytesSent":` + sent + `,"headerBytesSent":0,"packetsSent":0,"roundTripTime":0.1,"jitter":0.004,"fractionLost":0.05}]}}`
	}
	ss := BuildSeries([]Sample{mustSample(t, 0, row("0")), mustSample(t, 2, row("5000"))})
	p := find(t, ss, Video, Outbound, "OT01V").Points
	// bitrate 5000·8/2 = 20000; rtt 0.1 s = 100 ms; jitter 4 ms; loss 0.05·100 = 5 %
	checkField(t, "bitrate", p, func(p Point) *float64 { return p.Bitrate }, []*float64{nil, f(20000)})
	checkField(t, "rtt", p, func(p Point) *float64 { return p.RttMs }, []*float64{f(100), f(100)})
	checkField(t, "jitter", p, func(p Point) *float64 { return p.JitterMs }, []*float64{f(4), f(4)})
	checkField(t, "loss", p, func(p Point) *float64 { return p.LossPct }, []*float64{f(5), f(5)})
}

// BigInt-sized counters in the JSON, as number and as string, keep an exact delta.
func TestSeriesBigIntCounters(t *testing.T) {
	ss := BuildSeries([]Sample{
		mustSample(t, 0, `{"video":{"outbound":[{"id":"OT","bytesSent":18446744073709551000,"packetsSent":9007199254740993}]}}`),
		mustSample(t, 1, `{"video":{"outbound":[{"id":"OT","bytesSent":"18446744073709551615","packetsSent":"9007199254740995"}]}}`),
	})
	p := find(t, ss, Video, Outbound, "OT").Points
	// bitrate = (18446744073709551615 − 18446744073709551000)·8/1 = 615·8 = 4920 bit/s (float64: 0)
	// packets = (9007199254740995 − 9007199254740993)/1 = 2 /s (float64: 4)
	checkField(t, "bitrate", p, func(p Point) *float64 { return p.Bitrate }, []*float64{nil, f(4920)})
	checkField(t, "packetRate", p, func(p Point) *float64 { return p.PacketRate }, []*float64{nil, f(2)})
}

func TestSeriesNewIDAndTimeNotAdvancing(t *testing.T) {
	row := func(id, bytes string) string {
		return `{"audio":{"outbound":{"` + id + `":{"bytesSent":` + bytes + `,"packetsSent":1}}}}` // keyed-object shape
	}
	ss := BuildSeries([]Sample{
		mustSample(t, 0, row("A", "0")),
		mustSample(t, 10, row("A", "10000")),
		mustSample(t, 10, row("A", "20000")), // same time as the previous sample
		mustSample(t, 20, row("B", "5")),     // ICE restart: new stats id, counters from zero
		mustSample(t, 30, row("B", "10005")),
	})
	if len(ss) != 2 {
		t.Fatalf("want 2 series, got %d", len(ss))
	}
	// A: null, 10000·8/10 = 8000, null (dt = 0)
	checkField(t, "A", find(t, ss, Audio, Outbound, "A").Points, func(p Point) *float64 { return p.Bitrate }, []*float64{nil, f(8000), nil})
	// B: new stream → null, then 10000·8/10 = 8000
	checkField(t, "B", find(t, ss, Audio, Outbound, "B").Points, func(p Point) *float64 { return p.Bitrate }, []*float64{nil, f(8000)})
}

func TestSeriesGap(t *testing.T) {
	row := func(bytes string) string { return `{"audio":{"outbound":[{"id":"OT","bytesSent":` + bytes + `}]}}` }
	// intervals 10, 10, 10, 70, 10 → median 10; 70 > 3·10 → null point at 30 + 70/2 = 65 s
	secs := []float64{0, 10, 20, 30, 100, 110}
	bytes := []string{"0", "10000", "20000", "30000", "100000", "110000"}
	var samples []Sample
	for i := range secs {
		samples = append(samples, mustSample(t, secs[i], row(bytes[i])))
	}
	p := find(t, BuildSeries(samples), Audio, Outbound, "OT").Points
	// bitrate 10000·8/10 = 8000 each; across the gap 70000·8/70 = 8000
	checkField(t, "bitrate", p, func(p Point) *float64 { return p.Bitrate }, []*float64{nil, f(8000), f(8000), f(8000), nil, f(8000), f(8000)})
	if !p[4].Gap || !p[4].Time.Equal(at(65)) {
		t.Errorf("gap point = %+v, want Gap at 65 s", p[4])
	}
	for i, q := range p {
		if i != 4 && q.Gap {
			t.Errorf("unexpected gap at %d", i)
		}
	}

	// Exactly 3× the median is not a gap: intervals 10, 10, 10, 30 → median 10; 30 is not > 30.
	samples = samples[:0]
	for i, s := range []float64{0, 10, 20, 30, 60} {
		samples = append(samples, mustSample(t, s, row(fmt.Sprint(i*1000))))
	}
	if n := len(find(t, BuildSeries(samples), Audio, Outbound, "OT").Points); n != 5 {
		t.Errorf("3× median inserted a gap: %d points", n)
	}
}

func TestParseSampleOddShapes(t *testing.T) {
	if _, err := ParseSample(t0, []byte(`[1,2]`)); err != ErrNotObject {
		t.Errorf("list: %v", err)
	}
	if _, err := ParseSample(t0, []byte(`{"track":{"id":"x"},"type":"outbound-rtp"}`)); err != ErrNotMainRow {
		t.Errorf("per-track row: %v", err)
	}
	odd := []string{
		`{"connection":null,"audio":null,"video":"x","remote":[]}`,
		`{"audio":{"inbound":"nope","outbound":[1,"a",null,{"bytesSent":5}]}}`, // entry without id is skipped
		`{"audio":{"inbound":[{"id":7,"bytesReceived":"NaN","packetsLost":-4}]}}`,
		`{"video":{"inbound":[{"id":"v","frameHeight":-1,"jitter":"abc","bytesReceived":1e999}]}}`,
		`{"remote":{"audio":{"inbound":{"x":{"localId":"o","roundTripTime":"fast"}}}},"audio":{"outbound":[{"id":"o"}]}}`,
		`{"connection":{"totalRoundTripTime":-1,"responsesReceived":{}}}`,
	}
	var samples []Sample
	for i, js := range odd {
		s, err := ParseSample(at(float64(i)), []byte(js))
		if err != nil {
			t.Errorf("%s: %v", js, err)
		}
		samples = append(samples, s)
	}
	ss := BuildSeries(samples)
	// only "7" (audio in), "v" (video in) and "o" (audio out) have ids
	if len(ss) != 3 {
		t.Errorf("got %d series: %+v", len(ss), ss)
	}
	if s := samples[2].Streams[0]; s.ID != "7" || s.Bytes.Valid || s.PacketsLost != sc(-4) {
		t.Errorf("odd entry parsed as %+v", s)
	}
	if s := samples[4].Streams[0]; s.Remote == nil || s.Remote.RoundTripTime.Valid {
		t.Errorf("remote with garbage rtt parsed as %+v", s.Remote)
	}
}

func TestParseTime(t *testing.T) {
	want := time.Date(2024, 5, 1, 10, 0, 10, 123456000, time.UTC)
	for _, in := range []string{`"2024-05-01 10:00:10.123456+00:00"`, `"2024-05-01T10:00:10.123456Z"`,
		`"2024-05-01 12:00:10.123456+02:00"`, `"2024-05-01 10:00:10.123456+00"`, `"2024-05-01 10:00:10.123456"`} {
		if got, ok := ParseTime([]byte(in)); !ok || !got.Equal(want) {
			t.Errorf("ParseTime(%s) = %v, %v", in, got, ok)
		}
	}
	if got, ok := ParseTime([]byte(`1714557610123`)); !ok || !got.Equal(time.UnixMilli(1714557610123)) {
		t.Errorf("epoch ms: %v %v", got, ok)
	}
	for _, bad := range []string{`null`, `"yesterday"`, `{}`, `-5`, `"NaN"`} {
		if _, ok := ParseTime([]byte(bad)); ok {
			t.Errorf("ParseTime(%s) accepted", bad)
		}
	}
}
