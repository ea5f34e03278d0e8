package store_test

import (
	"context"
	"fmt"
	"math"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/store"
)

// Quality metrics in timeseries and overview, and derived issues beside stored ones in issues,
// issueSummary and annotations, on hand-built stats rows (handFixture of quality_test.go: one
// ongoing conference C1 with Alice's connection KA and Bob's KB, raw stats rows only).

const (
	hKA, hKB = "00000000-0000-4000-8000-000000000ca1", "00000000-0000-4000-8000-000000000cb1"
	hSA, hSB = "00000000-0000-4000-8000-0000000005a1", "00000000-0000-4000-8000-0000000005b1"
	hPA, hPB = "00000000-0000-4000-8000-00000000000a", "00000000-0000-4000-8000-00000000000b"
	hC1      = "00000000-0000-4000-8000-0000000000c1"
)

var handDay = time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)

func handPool(t *testing.T, sql string) *pgxpool.Pool { return loadedPool(t, handFixture+sql) }

// handQualityRows are exactly the stats rows of TestQualityHandBuilt (see its comment for the
// per-sample values), plus a stored tcp_used issue on Alice's connection for groupBy issueCode.
func handQualityRows() string {
	a := func(recv, lost, bytes int, jbd float64, emitted int, jitter, rtt float64) string {
		return fmt.Sprintf(`{"connection":{"id":"CP1"},"remote":{"audio":{"inbound":[{"localId":"OA","roundTripTime":%g}]}},"audio":{"inbound":[{"id":"IA","packetsReceived":%d,"packetsLost":%d,"bytesReceived":%d,"jitterBufferDelay":%g,"jitterBufferEmittedCount":%d,"jitter":%g}],"outbound":[]},"video":{}}`,
			rtt, recv, lost, bytes, jbd, emitted, jitter)
	}
	b := func(recv, bytes int, trtt float64, resp int) string {
		return fmt.Sprintf(`{"connection":{"id":"CP2","totalRoundTripTime":%g,"responsesReceived":%d},"audio":{"inbound":[{"id":"IB","packetsReceived":%d,"packetsLost":0,"bytesReceived":%d,"jitter":0.005}]}}`,
			trtt, resp, recv, bytes)
	}
	return handStats("00000000-0000-4000-8000-0000000e0001", hKA, hSA, hPA, "2026-03-01 10:00:10+00", a(1000, 0, 100000, 4800, 96000, 0.010, 0.1)) +
		handStats("00000000-0000-4000-8000-0000000e0002", hKA, hSA, hPA, "2026-03-01 10:00:20+00", a(1450, 50, 140000, 9600, 192000, 0.020, 0.1)) +
		handStats("00000000-0000-4000-8000-0000000e0003", hKA, hSA, hPA, "2026-03-01 10:00:30+00", a(1950, 50, 180000, 14400, 288000, 0.010, 0.3)) +
		handStats("00000000-0000-4000-8000-0000000e0011", hKB, hSB, hPB, "2026-03-01 10:00:10+00", b(2000, 200000, 1.0, 10)) +
		handStats("00000000-0000-4000-8000-0000000e0012", hKB, hSB, hPB, "2026-03-01 10:00:20+00", b(2500, 240000, 1.4, 20)) +
		handStats("00000000-0000-4000-8000-0000000e0013", hKB, hSB, hPB, "2026-03-01 10:00:30+00", b(2500, 240000, 1.8, 30)) +
		handStats("00000000-0000-4000-8000-0000000e0014", hKB, hSB, hPB, "2026-03-01 10:00:40+00", b(100, 10000, 2.2, 40)) +
		handStats("00000000-0000-4000-8000-0000000e0015", hKB, hSB, hPB, "2026-03-01 10:00:45+00", `[1, 2]`) +
		handStats("00000000-0000-4000-8000-0000000e0016", hKB, hSB, hPB, "2026-03-01 10:00:46+00", `{"audio":{"inbound":[{"id":"IB","packetsReceived":"garbage","jitter":-1}]}}`) +
		`INSERT INTO app_issue (id, created_at, is_active, type, code, data, session_id, conference_id, connection_id) VALUES
  ('00000000-0000-4000-8000-0000000f0001', '2026-03-01 10:00:05+00', true, 'w', 'tcp_used', NULL, '` + hSA + `', '` + hC1 + `', '` + hKA + `');
`
}

// ptrs reads a float field as pointers (nil for null).
func ptrs(fld *data.Field) []*float64 {
	out := make([]*float64, fld.Len())
	for i := range out {
		if v, ok := fld.ConcreteAt(i); ok {
			x := v.(float64)
			out[i] = &x
		}
	}
	return out
}

// checkOneBucket checks that a series is null everywhere but at the bucket of t, where it is want.
func checkOneBucket(t *testing.T, f *data.Frame, fld *data.Field, at time.Time, want float64) {
	t.Helper()
	vals := ptrs(fld)
	for i, v := range vals {
		ti := f.Fields[0].At(i).(time.Time)
		switch {
		case ti.Equal(at):
			if v == nil || math.Abs(*v-want) > 1e-5 {
				t.Errorf("%s%v at %v = %s, want %v", fld.Name, fld.Labels, ti, fmtP(v), want)
			}
		case v != nil:
			t.Errorf("%s%v at %v = %v, want null", fld.Name, fld.Labels, ti, *v)
		}
	}
}

// TestTimeseriesQualityMetricsHandBuilt: the four quality metrics of timeseries on the rows of
// TestQualityHandBuilt, hourly over the day: one bucket (10:00) holds every sample, so its values
// are that test's hand-computed ones (mosP50 3.990232, lossP95Pct 9, rttP95Ms 250, jitterP95Ms 17)
// and the 23 other buckets are null.
//
// groupBy issueCode splits the samples by connection: Alice's KA carries the stored tcp_used issue,
// Bob's KB none ("none"). Per group (same per-sample values):
//
//	tcp_used (Alice): loss {0, 10} → p95 at 0.95: 0 + 0.95·10 = 9.5; MOS {2.201177, 3.990232} →
//	  p50 = (2.201177 + 3.990232)/2 = 3.0957045; RTT {100, 100, 300} → p95 at 1.9: 100 + 0.9·200 = 280;
//	  jitter {10, 20, 10} → p95 at 1.9: 10 + 0.9·10 = 19.
//	none (Bob): loss {0} → 0; MOS {4.374393}; RTT {40, 40, 40} → 40; jitter {5, 5, 5, 5} → 5.
func TestTimeseriesQualityMetricsHandBuilt(t *testing.T) {
	pool := handPool(t, handQualityRows())
	st := store.New(pool, store.Scope{}, defaultThresholds)
	at := handDay.Add(10 * time.Hour)
	for metric, want := range map[string]float64{"mosP50": 3.990232, "lossP95Pct": 9, "rttP95Ms": 250, "jitterP95Ms": 17} {
		f := run2(t, st, parseQ(t, query.TypeTimeseries, `{"metric":"`+metric+`"}`, handDay, handDay.Add(24*time.Hour), time.Hour))[0]
		if f.Rows() != 24 || len(f.Fields) != 2 || f.Fields[1].Name != metric || f.Meta.Type != data.FrameTypeTimeSeriesWide {
			t.Fatalf("%s: %d rows, fields %v, meta %+v", metric, f.Rows(), f.Fields, f.Meta)
		}
		checkOneBucket(t, f, f.Fields[1], at, want)
	}
	// Minute buckets: the samples (10:00:10 – 10:00:46) are all in the 10:00 minute.
	f := run2(t, st, parseQ(t, query.TypeTimeseries, `{"metric":"lossP95Pct"}`, at, at.Add(time.Hour), time.Minute))[0]
	if f.Rows() != 60 {
		t.Fatalf("%d rows, want 60", f.Rows())
	}
	checkOneBucket(t, f, f.Fields[1], at, 9)

	wants := map[string]map[string]float64{
		"mosP50":      {"tcp_used": 3.0957045, "none": 4.374393},
		"lossP95Pct":  {"tcp_used": 9.5, "none": 0},
		"rttP95Ms":    {"tcp_used": 280, "none": 40},
		"jitterP95Ms": {"tcp_used": 19, "none": 5},
	}
	for metric, byGroup := range wants {
		f := run2(t, st, parseQ(t, query.TypeTimeseries, `{"metric":"`+metric+`","groupBy":"issueCode"}`, handDay, handDay.Add(24*time.Hour), time.Hour))[0]
		if len(f.Fields) != 3 {
			t.Fatalf("%s by issueCode: fields %v", metric, f.Fields)
		}
		// Series in group order: none, tcp_used.
		for i, g := range []string{"none", "tcp_used"} {
			fld := f.Fields[i+1]
			if fld.Labels["issueCode"] != g {
				t.Errorf("%s series %d labels %v, want issueCode=%s", metric, i, fld.Labels, g)
			}
			checkOneBucket(t, f, fld, at, byGroup[g])
		}
	}
}

// TestOverviewMOSP50HandBuilt: overview with metric mosP50 is the exact median of the day's MOS
// samples {2.201177, 3.990232, 4.374393} = 3.990232; without a metric mosP50 is null, with a
// notice saying how to get it; a range without audio samples gives null.
func TestOverviewMOSP50HandBuilt(t *testing.T) {
	pool := handPool(t, handQualityRows())
	st := store.New(pool, store.Scope{}, defaultThresholds)
	day := handDay.Add(24 * time.Hour)
	f := run2(t, st, parseQ(t, query.TypeOverview, `{"metric":"mosP50"}`, handDay, day, 0))[0]
	if len(f.Fields) != 1 || f.Fields[0].Name != "mosP50" || f.Fields[0].Labels["metric"] != "mosP50" || f.Meta.Type != data.FrameTypeNumericWide {
		t.Fatalf("fields %v meta %+v", f.Fields, f.Meta)
	}
	if v := ptrs(f.Fields[0])[0]; v == nil || math.Abs(*v-3.990232) > 1e-5 {
		t.Errorf("mosP50 = %s, want 3.990232", fmtP(v))
	}
	if f.Meta.ExecutedQueryString == "" {
		t.Error("no executed query string")
	}
	// Half of the samples: [10:00:15, 10:00:25) holds only t1 (Alice 2.201177, Bob 4.374393): p50
	// = (2.201177 + 4.374393)/2 = 3.287785.
	t1 := handDay.Add(10*time.Hour + 15*time.Second)
	f = run2(t, st, parseQ(t, query.TypeOverview, `{"metric":"mosP50"}`, t1, t1.Add(10*time.Second), 0))[0]
	if v := ptrs(f.Fields[0])[0]; v == nil || math.Abs(*v-3.287785) > 1e-5 {
		t.Errorf("mosP50 over t1 = %s, want 3.287785", fmtP(v))
	}
	// Without the metric: null and a notice.
	f = run2(t, st, parseQ(t, query.TypeOverview, `{}`, handDay, day, 0))[0]
	fld, _ := f.FieldByName("mosP50")
	if fld == nil || ptrs(fld)[0] != nil || !strings.Contains(noticeText(f), "metric mosP50") {
		t.Errorf("overview without metric: mosP50 %v, notice %q", fld, noticeText(f))
	}
	// No samples: null.
	f = run2(t, st, parseQ(t, query.TypeOverview, `{"metric":"mosP50"}`, day, day.Add(24*time.Hour), 0))[0]
	if v := ptrs(f.Fields[0])[0]; v != nil {
		t.Errorf("mosP50 without samples = %v, want null", *v)
	}
}

// handJitterRows: Alice's connection polled five times, 10 s apart, jitter 10 40 40 10 40 ms
// (threshold 30 ms), no loss, no RTT; MOS about 4.38 (no breach). The jitter breaches at samples
// 2, 3 and 5: the fifth completes 3 of 5, so one high_jitter episode starts at 10:00:50, still
// open at the last sample, peak 40 ms. Plus the stored tcp_used issue at 10:00:05 on the same
// connection. Bob has no stats.
func handJitterRows() string {
	var sql strings.Builder
	for i, jit := range []float64{0.010, 0.040, 0.040, 0.010, 0.040} {
		d := fmt.Sprintf(`{"connection":{"id":"CP1"},"audio":{"inbound":[{"id":"IA","packetsReceived":%d,"packetsLost":0,"bytesReceived":%d,"jitter":%g}]}}`,
			1000+500*i, 100000+40000*i, jit)
		sql.WriteString(handStats(fmt.Sprintf("00000000-0000-4000-8000-0000000e01%02d", i), hKA, hSA, hPA,
			handDay.Add(10*time.Hour+time.Duration(10+10*i)*time.Second).Format("2006-01-02 15:04:05-07"), d))
	}
	sql.WriteString(`INSERT INTO app_issue (id, created_at, is_active, type, code, data, session_id, conference_id, connection_id) VALUES
  ('00000000-0000-4000-8000-0000000f0001', '2026-03-01 10:00:05+00', true, 'w', 'tcp_used', NULL, '` + hSA + `', '` + hC1 + `', '` + hKA + `');
`)
	return sql.String()
}

// A conference's connectionStats and issues (its derived issues) ask Store.Inflight for the same
// load, and answer with a shared load exactly what they answer each with its own.
func TestConnectionStatsAndIssuesShareOneLoad(t *testing.T) {
	pool := handPool(t, handJitterRows())
	day := handDay.Add(24 * time.Hour)
	loads := map[string]int{}
	memo := map[string]any{}
	shared := store.New(pool, store.Scope{}, defaultThresholds).WithInflight(func(ctx context.Context, key string, load func(context.Context) (any, error)) (any, error) {
		if v, ok := memo[key]; ok {
			return v, nil
		}
		loads[key]++
		v, err := load(ctx)
		memo[key] = v
		return v, err
	})
	plain := store.New(pool, store.Scope{}, defaultThresholds)
	for _, tc := range []struct{ queryType, body string }{
		{query.TypeConnectionStats, `{"conferenceId":"` + hC1 + `"}`},
		{query.TypeIssues, `{"conferenceId":"` + hC1 + `","limit":1000}`},
	} {
		q := parseQ(t, tc.queryType, tc.body, handDay, day, 0)
		got, want := run2(t, shared, q), run2(t, plain, q)
		if len(got) != len(want) {
			t.Fatalf("%s: %d frames shared, %d alone", tc.queryType, len(got), len(want))
		}
		for i := range want {
			gj, _ := got[i].MarshalJSON()
			wj, _ := want[i].MarshalJSON()
			if string(gj) != string(wj) {
				t.Errorf("%s frame %d differs with a shared load", tc.queryType, i)
			}
		}
	}
	if len(loads) != 1 {
		t.Errorf("loads %v, want one shared by both queries", loads)
	}
}

// TestDerivedIssuesBesideStored: issues, issueSummary and annotations of conference C1 show the
// derived high_jitter episode (source derived) beside the stored tcp_used issue (source stored).
func TestDerivedIssuesBesideStored(t *testing.T) {
	pool := handPool(t, handJitterRows())
	st := store.New(pool, store.Scope{}, defaultThresholds)
	day := handDay.Add(24 * time.Hour)
	derivedAt := handDay.Add(10*time.Hour + 50*time.Second)
	derivedID := "derived:high_jitter:" + hKA + ":2026-03-01T10:00:50Z"
	issues := func(body string) *data.Frame {
		return run2(t, st, parseQ(t, query.TypeIssues, body, handDay, day, 0))[0]
	}

	t.Run("issues", func(t *testing.T) {
		f := issues(`{"conferenceId":"` + hC1 + `"}`)
		listsWant(t, f, "id", "00000000-0000-4000-8000-0000000f0001", derivedID)
		listsWant(t, f, "time", "2026-03-01T10:00:05Z", derivedAt.Format(time.RFC3339))
		listsWant(t, f, "code", "tcp_used", "high_jitter")
		listsWant(t, f, "title", "Media sent over TCP", "High jitter")
		listsWant(t, f, "severity", "warning", "warning")
		listsWant(t, f, "source", "stored", "derived")
		listsWant(t, f, "session", hSA, hSA)
		listsWant(t, f, "conference", hC1, hC1)
		listsWant(t, f, "participant", hPA, hPA)
		listsWant(t, f, "participantId", "alice", "alice")
		listsWant(t, f, "name", "Alice", "Alice")
		listsWant(t, f, "connection", hKA, hKA)
		summary := listsCol(t, f, "summary")
		if summary[0] != "" || !strings.Contains(summary[1], "jitter above 30 ms in 3 of 5 samples, peak 40.0 ms, still ongoing at the last sample") {
			t.Errorf("summary %q", summary)
		}
		if listsTotal(t, f) != 2 || !strings.Contains(noticeText(f), "1 derived threshold issue") {
			t.Errorf("total %d, notice %q", listsTotal(t, f), noticeText(f))
		}
		// The same by session and by connection.
		listsWant(t, issues(`{"sessionId":"`+hSA+`"}`), "source", "stored", "derived")
		listsWant(t, issues(`{"connectionId":"`+hKA+`"}`), "source", "stored", "derived")
		// Bob's connection has neither.
		if f := issues(`{"connectionId":"` + hKB + `"}`); f.Rows() != 0 {
			t.Errorf("Bob: %d rows", f.Rows())
		}
		// Paging runs over both sources: the second row is the derived one, total 2, notice.
		f = issues(`{"conferenceId":"` + hC1 + `","limit":1,"offset":1}`)
		listsWant(t, f, "source", "derived")
		if listsTotal(t, f) != 2 {
			t.Errorf("paged total %d", listsTotal(t, f))
		}
		f = issues(`{"conferenceId":"` + hC1 + `","limit":1}`)
		listsWant(t, f, "source", "stored")
		if !strings.Contains(noticeText(f), "Showing rows 1 to 1 of 2") {
			t.Errorf("notice %q", noticeText(f))
		}
		// Filters: issueCode narrows both sources; status applies to the derived rows' conference
		// (C1 is ongoing).
		listsWant(t, issues(`{"conferenceId":"`+hC1+`","filters":{"issueCode":["high_jitter"]}}`), "source", "derived")
		listsWant(t, issues(`{"conferenceId":"`+hC1+`","filters":{"issueCode":["tcp_used"]}}`), "source", "stored")
		listsWant(t, issues(`{"conferenceId":"`+hC1+`","filters":{"status":["ongoing"]}}`), "source", "stored", "derived")
		if f := issues(`{"conferenceId":"` + hC1 + `","filters":{"status":["error"]}}`); f.Rows() != 0 {
			t.Errorf("status error: %d rows", f.Rows())
		}
		// Only a participant: stored rows only, and the notice says why.
		f = issues(`{"filters":{"participantId":"` + hPA + `"}}`)
		listsWant(t, f, "source", "stored")
		if !strings.Contains(noticeText(f), "Stored issues only") {
			t.Errorf("participant notice %q", noticeText(f))
		}
	})

	t.Run("issueSummary", func(t *testing.T) {
		// Count 1 each; ordered by count, then code: high_jitter before tcp_used.
		f := run2(t, st, parseQ(t, query.TypeIssueSummary, `{"conferenceId":"`+hC1+`"}`, handDay, day, 0))[0]
		listsWant(t, f, "code", "high_jitter", "tcp_used")
		listsWant(t, f, "title", "High jitter", "Media sent over TCP")
		listsWant(t, f, "severity", "warning", "warning")
		listsWant(t, f, "source", "derived", "stored")
		listsWant(t, f, "count", "1", "1")
		listsWant(t, f, "conferences", "1", "1")
		listsWant(t, f, "sessions", "1", "1")
		// Without an entity: stored rows only, with a notice.
		f = run2(t, st, parseQ(t, query.TypeIssueSummary, `{}`, handDay, day, 0))[0]
		listsWant(t, f, "code", "tcp_used")
		listsWant(t, f, "source", "stored")
		if !strings.Contains(noticeText(f), "Stored issues only") {
			t.Errorf("notice %q", noticeText(f))
		}
		// Bob's session: neither stored nor derived issues.
		f = run2(t, st, parseQ(t, query.TypeIssueSummary, `{"sessionId":"`+hSB+`"}`, handDay, day, 0))[0]
		if f.Rows() != 0 {
			t.Errorf("Bob's session: %d rows", f.Rows())
		}
	})

	t.Run("annotations", func(t *testing.T) {
		f := run2(t, st, parseQ(t, query.TypeAnnotations, `{"conferenceId":"`+hC1+`"}`, handDay, day, 0))[0]
		listsWant(t, f, "time", "2026-03-01T10:00:05Z", derivedAt.Format(time.RFC3339))
		listsWant(t, f, "title", "Media sent over TCP", "High jitter")
		listsWant(t, f, "tags", "tcp_used,warning,stored", "high_jitter,warning,derived")
		text := listsCol(t, f, "text")
		if !strings.HasPrefix(text[1], "warning · conference room-1 · High jitter: jitter above 30 ms") {
			t.Errorf("derived text %q", text[1])
		}
		// Without an entity: the stored issue only.
		f = run2(t, st, parseQ(t, query.TypeAnnotations, `{}`, handDay, day, 0))[0]
		listsWant(t, f, "tags", "tcp_used,warning,stored")
	})
}

// TestOverviewMOSP50Days: over more than a day, mosP50 is the median of per-day histograms (one
// statement per UTC day of the range): the day before handDay has no sample and handDay holds
// {2.201177, 3.990232, 4.374393}, so the median is 3.990232 within half a bin (0.0005): its bin's
// middle, 3.9905.
func TestOverviewMOSP50Days(t *testing.T) {
	pool := handPool(t, handQualityRows())
	c := &statementCounter{inner: pool}
	st := store.New(c, store.Scope{}, defaultThresholds)
	f := run2(t, st, parseQ(t, query.TypeOverview, `{"metric":"mosP50"}`, handDay.Add(-24*time.Hour), handDay.Add(24*time.Hour), 0))[0]
	if v := ptrs(f.Fields[0])[0]; v == nil || math.Abs(*v-3.990232) > 0.0005 || math.Abs(*v-3.9905) > 1e-9 {
		t.Errorf("mosP50 over two days = %s, want 3.9905 (bin middle of 3.990232)", fmtP(v))
	}
	if n := c.n.Load(); n != 2 {
		t.Errorf("%d statements, want 2 (one per day)", n)
	}
	if !strings.Contains(noticeText(f), "per-day histograms") {
		t.Errorf("notice %q does not say how the median was computed", noticeText(f))
	}
}

// TestMedianOfBins: percentile_cont(0.5) over bin middles (bins of 0.001 MOS), by hand.
func TestMedianOfBins(t *testing.T) {
	for _, tc := range []struct {
		bins map[int]int64
		want float64 // NaN: null
	}{
		{map[int]int64{}, math.NaN()},
		{map[int]int64{2201: 1, 3990: 1, 4374: 1}, 3.9905},
		{map[int]int64{1000: 1, 3990: 1}, (1.0005 + 3.9905) / 2},
		{map[int]int64{3000: 3, 4000: 1}, 3.0005},     // sorted middles 3.0005 ×3, 4.0005: rank 1.5
		{map[int]int64{3000: 2, 4000: 2}, 3.5005},     // rank 1.5 between 3.0005 and 4.0005
		{map[int]int64{5000: 1}, 5},                   // MOS 5 exactly: clamped, not 5.0005
		{map[int]int64{1000: 1, 4999: 2, 5000: 4}, 5}, // middle value in bin 5000
		{map[int]int64{4999: 1}, 4.9995},
	} {
		bins := make([]int64, 5001)
		for k, n := range tc.bins {
			bins[k] = n
		}
		got := store.MedianOfBins(bins)
		if math.IsNaN(tc.want) {
			if got != nil {
				t.Errorf("%v: %v, want null", tc.bins, *got)
			}
			continue
		}
		if got == nil || math.Abs(*got-tc.want) > 1e-12 {
			t.Errorf("%v: %s, want %v", tc.bins, fmtP(got), tc.want)
		}
	}
}

// statementCounter counts the statements sent through it.
type statementCounter struct {
	inner store.DB
	n     atomic.Int64
}

func (c *statementCounter) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	c.n.Add(1)
	return c.inner.Query(ctx, sql, args...)
}

func (c *statementCounter) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	c.n.Add(1)
	return c.inner.QueryRow(ctx, sql, args...)
}
