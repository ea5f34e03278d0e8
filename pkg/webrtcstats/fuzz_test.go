package webrtcstats

import (
	"testing"
	"time"
)

// FuzzParseSample checks that no stats row, summary or counter text makes the parsers or the series
// builder panic. `go test` runs the seed corpus below; `go test -fuzz FuzzParseSample` explores more.
func FuzzParseSample(f *testing.F) {
	seeds := []string{
		``, `null`, `[]`, `{}`, `"x"`, `{"connection":null}`,
		`{"connection":{"id":"CP","bytesSent":1,"totalRoundTripTime":0.1,"responsesReceived":2,"currentRoundTripTime":0.05}}`,
		`{"audio":{"inbound":[{"id":"a","bytesReceived":18446744073709551615,"packetsLost":-9223372036854775808}]}}`,
		`{"audio":{"inbound":{"a":{"bytesReceived":"12n"},"b":5}},"video":{"outbound":{"id":"v","type":"remote-inbound-rtp","localId":"o"}}}`,
		`{"remote":{"audio":{"inbound":[{"localId":"o","roundTripTime":1e308,"jitter":"NaN"}]}},"audio":{"outbound":[{"id":"o","bytesSent":-1}]}}`,
		`{"video":{"inbound":[{"id":"v","framesDecoded":1.5,"framesPerSecond":-3,"frameHeight":"720","jitterBufferDelay":{}}]}}`,
		`[{"created_at":"2024-05-01 10:00:00+00:00","connection":"c","data":{"audio":{"inbound":[{"id":"a","bytesReceived":1}]}}}]`,
		`[{"created_at":1714557600000,"data":{"video":[]}},null,{"data":{}}]`,
		`{"audio":{"inbound":[{"id":"a","jitterBufferEmittedCount":0,"jitterBufferDelay":5,"packetsReceived":1,"packetsLost":1}]}}`,
		`{"audio":{"inbound":[{"id":{"nested":true}}]}}`, `{"audio":{"inbound":[[[[[]]]]]}}`, `{"a":`, "\x00\xff",
	}
	for _, s := range seeds {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		_, _ = ParseCounter(data)
		_, _ = ParseSignedCounter(data)
		_, _ = ParseGauge(data)
		_, _ = ParseTime(data)
		a, _ := ParseSample(time.Unix(0, 0), data)
		b, _ := ParseSample(time.Unix(10, 0), data)
		c, _ := ParseSample(time.Unix(10, 0), data)
		ss := BuildSeries([]Sample{a, b, c})
		for _, s := range ss {
			for _, p := range s.Points {
				for _, v := range []*float64{p.Bitrate, p.PacketRate, p.LossPct, p.FPS} {
					if v != nil && *v < 0 {
						t.Fatalf("negative value %v in %+v", *v, p)
					}
				}
				if p.MOS != nil && (*p.MOS < 1 || *p.MOS > 5) {
					t.Fatalf("MOS out of range: %v", *p.MOS)
				}
			}
		}
		snaps, _, _ := ParseSummary(data)
		for _, samples := range SamplesByConnection(snaps) {
			_ = BuildSeries(samples)
		}
	})
}
