package store_test

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/settings"
	"github.com/peermetrics/grafana-datasource/pkg/store"
)

// The fixture testdata/aggregates.sql is fixture.sql plus the rows described at its top. In the
// range [2026-11-01, 2026-11-04) app one has:
//
//	conferences C1 (day 1, 120 s), C2 (day 1, 60 s), C3 (day 2, ongoing, 0 s), C4 (day 2, 300 s),
//	C8 (day 2, 40 s), C5 (day 3, 30 s), C11 (day 3, 3600 s), C12 (day 3, 700 s, no session);
//	C6 is soft-deleted, C7 starts the day before (its session S10 and connection K11 are in range).
//	sessions S1-S8, S10, S11, S15, S16, S17 (S17 is the SFU participant's, S9 is under C6, S12 is
//	soft-deleted); connections K1-K7, K11, K12, K14, K17 (K9 under C6, K10 soft-deleted, K8 on
//	soft-deleted S12).
//	Statuses with issues attributed through connection/session: C1 warning, C2 error (connection_failed
//	via K4), C3 ongoing, C4 error (custom_thing, type e), C5 error (no_connection via S8), C8 success
//	(its ice_failed is soft-deleted), C11 warning (getusermedia_error), C12 success; C7 warning.
//
// App two has C10/S13/K13, app three C9/S14/K15 with a getusermedia_error I17 and event E04.

//go:embed testdata/aggregates.sql
var aggregatesSQL string

func aggregatesPool(t *testing.T) *pgxpool.Pool { return loadedPool(t, aggregatesSQL) }

func app1Store(pool *pgxpool.Pool) *store.Store {
	return store.New(pool, store.Scope{AppIDs: []string{app1}}, settings.Thresholds{})
}

// runAt runs a query over [from, to) with Grafana's interval.
func runAt(t *testing.T, st *store.Store, queryType, body string, interval time.Duration) data.Frames {
	t.Helper()
	q, err := query.Parse(backend.DataQuery{RefID: "A", QueryType: queryType, JSON: []byte(body),
		TimeRange: backend.TimeRange{From: from, To: to}, Interval: interval})
	if err != nil {
		t.Fatalf("parse %s: %v", body, err)
	}
	frames, err := st.Run(context.Background(), q)
	if err != nil {
		t.Fatalf("run %s %s: %v", queryType, body, err)
	}
	return frames
}

// nums reads a numeric column; nulls read as NaN.
func nums(t *testing.T, f *data.Frame, name string) []float64 {
	t.Helper()
	fld, _ := f.FieldByName(name)
	if fld == nil {
		t.Fatalf("no field %q in %s", name, f.Name)
	}
	return fieldNums(t, fld)
}

func fieldNums(t *testing.T, fld *data.Field) []float64 {
	t.Helper()
	out := make([]float64, fld.Len())
	for i := range out {
		v, ok := fld.ConcreteAt(i)
		if !ok {
			out[i] = math.NaN()
			continue
		}
		switch x := v.(type) {
		case float64:
			out[i] = x
		case int64:
			out[i] = float64(x)
		default:
			t.Fatalf("field %q has type %T", fld.Name, v)
		}
	}
	return out
}

func strs(t *testing.T, f *data.Frame, name string) []string {
	t.Helper()
	fld, _ := f.FieldByName(name)
	if fld == nil {
		t.Fatalf("no field %q in %s", name, f.Name)
	}
	out := make([]string, fld.Len())
	for i := range out {
		v, _ := fld.ConcreteAt(i)
		out[i] = fmt.Sprint(v)
	}
	return out
}

func sameNums(got, want []float64) bool {
	if len(got) != len(want) {
		return false
	}
	for i := range got {
		if math.IsNaN(want[i]) != math.IsNaN(got[i]) || (!math.IsNaN(want[i]) && math.Abs(got[i]-want[i]) > 1e-6) {
			return false
		}
	}
	return true
}

func checkNums(t *testing.T, f *data.Frame, name string, want ...float64) {
	t.Helper()
	if got := nums(t, f, name); !sameNums(got, want) {
		t.Errorf("%s.%s = %v, want %v", f.Name, name, got, want)
	}
}

func checkStrs(t *testing.T, f *data.Frame, name string, want ...string) {
	t.Helper()
	if got := strs(t, f, name); strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("%s.%s = %q, want %q", f.Name, name, got, want)
	}
}

// series returns the timeseries values per group label value ("" without groupBy), checking that
// the frame is one wide time series with unique label sets.
func series(t *testing.T, f *data.Frame, groupBy string) map[string][]float64 {
	t.Helper()
	if f.Meta == nil || f.Meta.Type != data.FrameTypeTimeSeriesWide || f.Meta.ExecutedQueryString == "" {
		t.Fatalf("frame meta: %+v", f.Meta)
	}
	if f.Fields[0].Type() != data.FieldTypeTime {
		t.Fatalf("first field is %v, not time", f.Fields[0].Type())
	}
	out := map[string][]float64{}
	seen := map[string]bool{}
	for _, fld := range f.Fields[1:] {
		if !fld.Type().Numeric() {
			t.Fatalf("field %s is %v, not numeric", fld.Name, fld.Type())
		}
		ls := fld.Labels.String()
		if seen[ls] {
			t.Fatalf("duplicate label set %s", ls)
		}
		seen[ls] = true
		out[fld.Labels[groupBy]] = fieldNums(t, fld)
	}
	return out
}

func checkSeries(t *testing.T, got map[string][]float64, want map[string][]float64) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("series %v, want %v", got, want)
	}
	for k, w := range want {
		if !sameNums(got[k], w) {
			t.Errorf("series %q = %v, want %v", k, got[k], w)
		}
	}
}

const nan = -1 // placeholder in want lists, replaced by NaN

func withNaN(v ...float64) []float64 {
	for i := range v {
		if v[i] == nan {
			v[i] = math.NaN()
		}
	}
	return v
}

func TestTimeseriesHandCounted(t *testing.T) {
	pool := aggregatesPool(t)
	st := app1Store(pool)
	daily := func(t *testing.T, body, groupBy string) map[string][]float64 {
		t.Helper()
		f := runAt(t, st, query.TypeTimeseries, body, 24*time.Hour)[0]
		if f.Rows() != 3 {
			t.Fatalf("%d buckets, want 3 daily buckets", f.Rows())
		}
		return series(t, f, groupBy)
	}
	cases := []struct {
		name, body, groupBy string
		want                map[string][]float64
	}{
		// Day 1: C1, C2; day 2: C3, C4, C8; day 3: C5, C11, C12.
		{"conferences", `{"metric":"conferences"}`, "", map[string][]float64{"": {2, 3, 3}}},
		// Day 1: S1 Chrome, S2 Firefox, S3 Chrome, S4 Safari, S10 Edge; day 2: S5 Chrome, S6 and S7
		// Firefox, S11 Safari, S17 (no browser: unknown); day 3: S8, S15, S16 Chrome.
		{"sessions by browser", `{"metric":"sessions","groupBy":"browser"}`, "browser", map[string][]float64{
			"Chrome": {2, 1, 3}, "Firefox": {1, 2, 0}, "Safari": {1, 1, 0}, "Edge": {1, 0, 0}, "unknown": {0, 1, 0}}},
		// Day 1: P1, P2, P3, P6; day 2: P4, P2, P3 (P9 of S17 is the SFU); day 3: P5, P1.
		{"participants", `{"metric":"participants"}`, "", map[string][]float64{"": {4, 3, 2}}},
		// Day 1: 120+100+60+60+50 = 390 s; day 2: 0+300+200+40+0 = 540 s; day 3: 30+1200+600 = 1830 s.
		{"minutes", `{"metric":"minutes"}`, "", map[string][]float64{"": {6.5, 9, 30.5}}},
		// Day 1: K1, K2, K3, K4, K11; day 2: K5, K6, K7, K12; day 3: K14, K17.
		{"connections", `{"metric":"connections"}`, "", map[string][]float64{"": {5, 4, 2}}},
		// K3 (state failed) and K4 (connection_failed names it) on day 1, K14 (failed) on day 3. S5's
		// ice_failed names no connection, so K5 does not count.
		{"failed connections", `{"metric":"failedConnections"}`, "", map[string][]float64{"": {2, 0, 1}}},
		// Relay: K2, K5, K17.
		{"relayed connections", `{"metric":"relayedConnections"}`, "", map[string][]float64{"": {1, 1, 1}}},
		{"connections by type", `{"metric":"connections","groupBy":"connectionType"}`, "connectionType", map[string][]float64{
			"host": {1, 2, 0}, "prflx": {0, 1, 0}, "relay": {1, 1, 1}, "srflx": {2, 0, 0}, "unknown": {1, 0, 1}}},
		// Issues by their own created_at, attributed conference active and in scope: day 1 I01, I02,
		// I03, I09, I10 (C7 started the day before, the issue is in range), I12, I15, I19; day 2 I04,
		// I18, I20; day 3 I05, I13, I14, I16. Not I06 (C6 deleted), I07 (inactive), I08 (S12
		// inactive), I11 (K10 inactive), I17 (app three).
		{"issues", `{"metric":"issues"}`, "", map[string][]float64{"": {8, 3, 4}}},
		// getusermedia_error of every shape: day 1 I09, I10, I12, I15; day 3 I13, I14, I16.
		{"gum errors", `{"metric":"gumErrors"}`, "", map[string][]float64{"": {4, 0, 3}}},
		// Conference statuses per day: C1 warning, C2 error | C3 ongoing, C4 error, C8 success |
		// C5 error, C11 warning, C12 success.
		{"conferences by status", `{"metric":"conferences","groupBy":"status"}`, "status", map[string][]float64{
			"error": {1, 1, 1}, "ongoing": {0, 1, 0}, "success": {0, 1, 1}, "warning": {1, 0, 1}}},
		// Filter: country FR sessions S5 (day 2), S8 and S16 (day 3).
		{"sessions in FR", `{"metric":"sessions","filters":{"country":["FR"]}}`, "", map[string][]float64{"": {0, 1, 2}}},
		// Filter: tcp_used issues I01 and I19, both day 1.
		{"tcp_used issues", `{"metric":"issues","filters":{"issueCode":["tcp_used"]}}`, "", map[string][]float64{"": {2, 0, 0}}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) { checkSeries(t, daily(t, tc.body, tc.groupBy), tc.want) })
	}

	t.Run("setup percentiles hourly with empty buckets", func(t *testing.T) {
		f := runAt(t, st, query.TypeTimeseries, `{"metric":"setupP50Ms"}`, time.Hour)[0]
		if f.Rows() != 72 {
			t.Fatalf("%d buckets, want 72 hourly buckets", f.Rows())
		}
		v := series(t, f, "")[""]
		// 10:00 on day 1: K1 300 ms and K2 1200 ms -> median 750. 11:00: no connection -> null.
		// 00:00 on day 1: K11 2000 ms. 12:00 on day 1: K3 (first negotiation failed) and K4: null.
		if v[10] != 750 || !math.IsNaN(v[11]) || v[0] != 2000 || !math.IsNaN(v[12]) {
			t.Errorf("p50 at 0h %v, 10h %v, 11h %v, 12h %v; want 2000, 750, null, null", v[0], v[10], v[11], v[12])
		}
		f = runAt(t, st, query.TypeTimeseries, `{"metric":"setupP95Ms"}`, 24*time.Hour)[0]
		// Day 1: {300, 1200, 2000} -> 1200 + 0.9*800 = 1920; day 2: {100, 600} (K7 none, K12 malformed)
		// -> 100 + 0.95*500 = 575; day 3: {6000} (K14 has a list for connection_info).
		checkSeries(t, series(t, f, ""), map[string][]float64{"": {1920, 575, 6000}})
	})

	t.Run("scope", func(t *testing.T) {
		// App three alone: S14 on day 2; app one's store never sees it (Chrome above has no S14).
		st3 := store.New(pool, store.Scope{AppIDs: []string{app3}}, settings.Thresholds{})
		f := runAt(t, st3, query.TypeTimeseries, `{"metric":"sessions"}`, 24*time.Hour)[0]
		checkSeries(t, series(t, f, ""), map[string][]float64{"": {0, 1, 0}})
	})

	t.Run("weekly step aligned to the epoch", func(t *testing.T) {
		f := runAt(t, st, query.TypeTimeseries, `{"metric":"conferences"}`, 36*time.Hour)[0]
		// An interval over a day rounds up to 7 days. The epoch was a Thursday; the week holding
		// 2026-11-01 (a Sunday) starts on Thursday 2026-10-29 and holds the whole range: all 8.
		if f.Rows() != 1 {
			t.Fatalf("%d buckets, want 1", f.Rows())
		}
		if got := f.Fields[0].At(0).(time.Time); !got.Equal(time.Date(2026, 10, 29, 0, 0, 0, 0, time.UTC)) {
			t.Errorf("bucket starts %v", got)
		}
		checkSeries(t, series(t, f, ""), map[string][]float64{"": {8}})
	})

	t.Run("quality metrics come from fleet quality", func(t *testing.T) {
		// The fixture has no stats rows: every bucket of mosP50 is null (values in
		// TestTimeseriesQualityMetricsHandBuilt), and the metric is implemented.
		q, err := query.Parse(backend.DataQuery{RefID: "A", QueryType: query.TypeTimeseries, JSON: []byte(`{"metric":"mosP50"}`),
			TimeRange: backend.TimeRange{From: from, To: to}})
		if err != nil {
			t.Fatal(err)
		}
		fs, err := st.Run(context.Background(), q)
		if errors.Is(err, store.ErrMetricNotImplemented) || err != nil {
			t.Fatalf("mosP50: err = %v", err)
		}
		if len(fs[0].Fields) != 2 || fs[0].Fields[1].Name != "mosP50" || fs[0].Fields[1].At(0).(*float64) != nil {
			t.Errorf("mosP50 frame %v", fs[0].Fields)
		}
	})
}

func TestTimeseriesStep(t *testing.T) {
	q := query.Query{From: from, To: to}
	for _, c := range []struct {
		interval, span, want time.Duration
	}{
		{0, 72 * time.Hour, time.Minute},           // 4320 buckets fit under 5000
		{0, 30 * 24 * time.Hour, 10 * time.Minute}, // 43200 one-minute, 8640 five-minute buckets do not
		{7 * time.Minute, 72 * time.Hour, 10 * time.Minute},
		{25 * time.Hour, 72 * time.Hour, 7 * 24 * time.Hour},
		{3 * time.Hour, 72 * time.Hour, 3 * time.Hour},
	} {
		q.Interval, q.To = c.interval, from.Add(c.span)
		if got := store.TimeseriesStep(q); got != c.want {
			t.Errorf("interval %v over %v: step %v, want %v", c.interval, c.span, got, c.want)
		}
	}
}

// listedConferences is the size of the conferences list (the drilldown target) for a body of
// filters over the same range: what a link promises to show.
func listedConferences(t *testing.T, st *store.Store, body string) float64 {
	t.Helper()
	body = strings.TrimSuffix(strings.TrimSpace(body), "}")
	if body != "{" {
		body += ","
	}
	return float64(run(t, st, query.TypeConferences, body+`"limit":10000}`)[0].Rows())
}

func TestIssueSummaryHandCounted(t *testing.T) {
	pool := aggregatesPool(t)
	st := app1Store(pool)

	t.Run("app one", func(t *testing.T) {
		f := run(t, st, query.TypeIssueSummary, `{}`)[0]
		// Active issues of the conferences in range (C1 C2 C3 C4 C5 C8 C11 C12):
		//   getusermedia_error I09 (C1 S2), I12 and I15 (C2 S3), I14 (C5 S8), I13 and I16 (C11 S16):
		//     6 issues, 4 conferences, 4 sessions (I10 is under C7, which started before the range);
		//   tcp_used I01 (C1 S1), I19 (C2 S3, reached through K3);
		//   one each: connection_disconnected I18 (C4 via K6), connection_failed I03 (C2 via K4),
		//   custom_thing I20 (C4, unknown code, type e), ice_failed I04 (C3),
		//   icecandidateerror I02 (C2 via K3), no_connection I05 (C5 via S8).
		//   Not: I06 (C6 deleted), I07 inactive, I08 (S12 inactive), I11 (K10 inactive), I17 (app three).
		checkStrs(t, f, "code", "getusermedia_error", "tcp_used", "connection_disconnected", "connection_failed",
			"custom_thing", "ice_failed", "icecandidateerror", "no_connection")
		checkNums(t, f, "count", 6, 2, 1, 1, 1, 1, 1, 1)
		checkNums(t, f, "conferences", 4, 2, 1, 1, 1, 1, 1, 1)
		checkNums(t, f, "sessions", 4, 2, 1, 1, 1, 1, 1, 1)
		checkStrs(t, f, "severity", "warning", "warning", "warning", "error", "error", "error", "warning", "error")
		checkStrs(t, f, "title", "Problem accessing media", "Media sent over TCP", "Connection disconnected",
			"Connection failed", "custom_thing", "Connection could not be established", "ICE candidate error",
			"The participant could not establish a connection")
		if f.Meta.Type != data.FrameTypeNumericLong {
			t.Errorf("frame type %s", f.Meta.Type)
		}
		// The link opens the conferences list filtered by the code over the same range: its size equals
		// the conferences column.
		fld, _ := f.FieldByName("conferences")
		link := fld.Config.Links[0].URL
		if !strings.Contains(link, "/d/peermetrics-conferences?") || !strings.Contains(link, "var-issueCode=${__data.fields.code") ||
			!strings.Contains(link, fmt.Sprintf("from=%d", from.UnixMilli())) || !strings.Contains(link, fmt.Sprintf("to=%d", to.UnixMilli())) {
			t.Errorf("link %s", link)
		}
		codes, confs := strs(t, f, "code"), nums(t, f, "conferences")
		for i, code := range codes {
			if got := listedConferences(t, st, `{"filters":{"issueCode":["`+code+`"]}}`); got != confs[i] {
				t.Errorf("%s: conferences list has %v, summary says %v", code, got, confs[i])
			}
		}
	})

	t.Run("browser filter", func(t *testing.T) {
		// Chrome sessions S1 S3 S5 S8 S15 S16 carry: gum I12 I15 (S3), I14 (S8), I13 I16 (S16) = 5 in
		// C2 C5 C11; tcp_used I01 (S1), I19 (S3); icecandidateerror I02; ice_failed I04; no_connection I05.
		f := run(t, st, query.TypeIssueSummary, `{"filters":{"browser":["Chrome"]}}`)[0]
		checkStrs(t, f, "code", "getusermedia_error", "tcp_used", "ice_failed", "icecandidateerror", "no_connection")
		checkNums(t, f, "count", 5, 2, 1, 1, 1)
		checkNums(t, f, "conferences", 3, 2, 1, 1, 1)
		checkNums(t, f, "sessions", 3, 2, 1, 1, 1)
	})

	t.Run("scope", func(t *testing.T) {
		st3 := store.New(pool, store.Scope{AppIDs: []string{app3}}, settings.Thresholds{})
		f := run(t, st3, query.TypeIssueSummary, `{}`)[0]
		checkStrs(t, f, "code", "getusermedia_error") // I17 only
		checkNums(t, f, "count", 1)
	})
}

func TestGumErrorsHandCounted(t *testing.T) {
	pool := aggregatesPool(t)
	st := app1Store(pool)
	t.Run("app one", func(t *testing.T) {
		f := run(t, st, query.TypeGumErrors, `{}`)[0]
		// Objects with a name: I09 NotAllowedError "Permission denied" (10:00), I12 NotAllowedError
		// "Dismissed" (12:01), I13 NotFoundError; getDisplayMedia E01 NotAllowedError (E02 is a
		// request, E05 is soft-deleted, E04 is app three's). 4 rows: 50 %, 25 %, 25 %.
		// Legacy: I14 (a list), I15 (SQL NULL), I16 (JSON null), E03 (error is a string) = 4.
		// I10 (a string) belongs to C7, outside the range.
		checkStrs(t, f, "source", "getUserMedia", "getDisplayMedia", "getUserMedia")
		checkStrs(t, f, "name", "NotAllowedError", "NotAllowedError", "NotFoundError")
		checkStrs(t, f, "message", "Permission denied", "Screen share denied", "Requested device not found")
		checkNums(t, f, "count", 2, 1, 1)
		checkNums(t, f, "sharePct", 50, 25, 25)
		if n := f.Meta.Notices; len(n) != 1 || !strings.HasPrefix(n[0].Text, "4 legacy rows skipped") {
			t.Errorf("notices %+v, want 4 legacy rows skipped", n)
		}
	})
	t.Run("browser filter", func(t *testing.T) {
		// Firefox sessions S2, S6, S7: I09 on S2; E03 (legacy) on S6.
		f := run(t, st, query.TypeGumErrors, `{"filters":{"browser":["Firefox"]}}`)[0]
		checkStrs(t, f, "name", "NotAllowedError")
		checkNums(t, f, "count", 1)
		checkNums(t, f, "sharePct", 100)
		if n := f.Meta.Notices; len(n) != 1 || !strings.HasPrefix(n[0].Text, "1 legacy rows skipped") {
			t.Errorf("notices %+v", n)
		}
	})
	t.Run("scope", func(t *testing.T) {
		st3 := store.New(pool, store.Scope{AppIDs: []string{app3}}, settings.Thresholds{})
		f := run(t, st3, query.TypeGumErrors, `{}`)[0]
		// I17 NotReadableError and E04 NotAllowedError (getDisplayMedia), nothing legacy.
		checkStrs(t, f, "source", "getDisplayMedia", "getUserMedia")
		checkStrs(t, f, "name", "NotAllowedError", "NotReadableError")
		checkNums(t, f, "sharePct", 50, 50)
		if len(f.Meta.Notices) != 0 {
			t.Errorf("notices %+v", f.Meta.Notices)
		}
	})
	t.Run("nothing to group", func(t *testing.T) {
		// Under status ongoing only C3 remains: no getUserMedia error at all, an empty typed table.
		f := run(t, st, query.TypeGumErrors, `{"filters":{"status":["ongoing"]}}`)[0]
		if f.Rows() != 0 || len(f.Fields) != 5 {
			t.Errorf("rows %d fields %d", f.Rows(), len(f.Fields))
		}
	})
}

func TestDurationHistogramHandCounted(t *testing.T) {
	pool := aggregatesPool(t)
	st := app1Store(pool)
	f := run(t, st, query.TypeDurationHistogram, `{}`)[0]
	// < 60: C3 (0), C5 (30), C8 (40); 60-180: C1 (120), C2 (60); 300-600: C4 (300);
	// 600-900: C12 (700); >= 3600: C11 (3600). All 12 buckets present.
	checkNums(t, f, "conferences", 3, 2, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1)
	checkNums(t, f, "minSeconds", 0, 60, 180, 300, 600, 900, 1200, 1500, 1800, 2400, 3000, 3600)
	checkNums(t, f, "maxSeconds", 60, 180, 300, 600, 900, 1200, 1500, 1800, 2400, 3000, 3600, math.NaN())
	checkStrs(t, f, "range", "< 1 min", "1–3 min", "3–5 min", "5–10 min", "10–15 min", "15–20 min", "20–25 min",
		"25–30 min", "30–40 min", "40–50 min", "50–60 min", "≥ 60 min")
	fld, _ := f.FieldByName("conferences")
	if l := fld.Config.Links[0].URL; !strings.Contains(l, "var-durationMin=${__data.fields.linkDurationMin}") {
		t.Errorf("link %s", l)
	}
	// Each bucket's link range lists exactly its conferences.
	mins, maxs, counts := nums(t, f, "linkDurationMin"), nums(t, f, "linkDurationMax"), nums(t, f, "conferences")
	for i := range counts {
		body := fmt.Sprintf(`{"filters":{"durationMinSeconds":%v}}`, mins[i])
		if !math.IsNaN(maxs[i]) {
			body = fmt.Sprintf(`{"filters":{"durationMinSeconds":%v,"durationMaxSeconds":%v}}`, mins[i], maxs[i])
		}
		if got := listedConferences(t, st, body); got != counts[i] {
			t.Errorf("bucket %d: list has %v, histogram %v", i, got, counts[i])
		}
	}

	t.Run("duration filter", func(t *testing.T) {
		// >= 100 s: C1, C4, C12, C11; the first bucket's link range is empty (100..100).
		f := run(t, st, query.TypeDurationHistogram, `{"filters":{"durationMinSeconds":100}}`)[0]
		checkNums(t, f, "conferences", 0, 1, 0, 1, 1, 0, 0, 0, 0, 0, 0, 1)
		checkNums(t, f, "linkDurationMin", 100, 100, 180, 300, 600, 900, 1200, 1500, 1800, 2400, 3000, 3600)
		checkNums(t, f, "linkDurationMax", 100, 180, 300, 600, 900, 1200, 1500, 1800, 2400, 3000, 3600, math.NaN())
	})
	t.Run("scope", func(t *testing.T) {
		f := run(t, store.New(pool, store.Scope{AppIDs: []string{app3}}, settings.Thresholds{}), query.TypeDurationHistogram, `{}`)[0]
		checkNums(t, f, "conferences", 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0) // C9, 60 s
	})
}

func TestSetupTimeHistogramHandCounted(t *testing.T) {
	pool := aggregatesPool(t)
	f := run(t, app1Store(pool), query.TypeSetupTimeHistogram, `{}`)[0]
	// K6 100, K1 300, K5 600, K2 1200, K11 2000, K17 6000 ms; K3 (first negotiation failed), K4, K7,
	// K12 (malformed start), K14 (a list) have none. All 11 buckets present.
	checkNums(t, f, "connections", 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 1)
	checkNums(t, f, "minMs", 0, 250, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000)
	checkNums(t, f, "maxMs", 250, 500, 750, 1000, 1500, 2000, 2500, 3000, 4000, 5000, math.NaN())
	checkStrs(t, f, "range", "< 250 ms", "250–500 ms", "500–750 ms", "750–1000 ms", "1000–1500 ms", "1500–2000 ms",
		"2000–2500 ms", "2500–3000 ms", "3000–4000 ms", "4000–5000 ms", "≥ 5000 ms")
	// Filter: status ongoing keeps C3's K5 (600 ms).
	f = run(t, app1Store(pool), query.TypeSetupTimeHistogram, `{"filters":{"status":["ongoing"]}}`)[0]
	checkNums(t, f, "connections", 0, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0)
	// No scope: app three's K15 (9000 ms) joins K17 in the last bucket; app two's K13 has none.
	f = run(t, store.New(pool, store.Scope{}, settings.Thresholds{}), query.TypeSetupTimeHistogram, `{}`)[0]
	checkNums(t, f, "connections", 1, 1, 1, 0, 1, 0, 1, 0, 0, 0, 2)
}

func TestParticipantHistogramHandCounted(t *testing.T) {
	pool := aggregatesPool(t)
	st := app1Store(pool)
	// C1 {P1,P2}, C2 {P1,P3}, C11 {P1,P5}: 2; C3 {P4} (S17's P9 is the SFU), C4 {P2} (two sessions),
	// C5 {P5}, C8 {P3} (S12 is soft-deleted): 1; C12 has no session: 0.
	f := run(t, st, query.TypeParticipantHistogram, `{}`)[0]
	checkNums(t, f, "participants", 0, 1, 2)
	checkNums(t, f, "conferences", 1, 4, 3)
	// Firefox: C1 (2 participants) and C4 (1).
	f = run(t, st, query.TypeParticipantHistogram, `{"filters":{"browser":["Firefox"]}}`)[0]
	checkNums(t, f, "participants", 1, 2)
	checkNums(t, f, "conferences", 1, 1)
	// App three: C9 with P8.
	f = run(t, store.New(pool, store.Scope{AppIDs: []string{app3}}, settings.Thresholds{}), query.TypeParticipantHistogram, `{}`)[0]
	checkNums(t, f, "participants", 1)
	checkNums(t, f, "conferences", 1)
}

func TestConnectionTypesHandCounted(t *testing.T) {
	pool := aggregatesPool(t)
	st := app1Store(pool)
	f := run(t, st, query.TypeConnectionTypes, `{}`)[0]
	// host: K1 tcp (detected_tcp), K6 and K12 udp; srflx: K11 udp, K3 tcp (tcp_used issue I19);
	// prflx: K7; relay: K2, K5, K17; type unknown: K4, K14 (protocol unknown too).
	checkStrs(t, f, "type", "host", "host", "srflx", "srflx", "prflx", "relay", "unknown")
	checkStrs(t, f, "protocol", "udp", "tcp", "udp", "tcp", "udp", "udp", "unknown")
	checkNums(t, f, "connections", 2, 1, 1, 1, 1, 3, 2)
	// Firefox: K2 relay, K6 host, K7 prflx.
	f = run(t, st, query.TypeConnectionTypes, `{"filters":{"browser":["Firefox"]}}`)[0]
	checkStrs(t, f, "type", "host", "prflx", "relay")
	checkNums(t, f, "connections", 1, 1, 1)
	// App three: K15 relay.
	f = run(t, store.New(pool, store.Scope{AppIDs: []string{app3}}, settings.Thresholds{}), query.TypeConnectionTypes, `{}`)[0]
	checkStrs(t, f, "type", "relay")
	checkNums(t, f, "connections", 1)
}

func TestBreakdownHandCounted(t *testing.T) {
	pool := aggregatesPool(t)
	st := app1Store(pool)

	t.Run("browser", func(t *testing.T) {
		f := run(t, st, query.TypeBreakdown, `{"groupBy":"browser"}`)[0]
		// Sessions: Chrome S1 S3 S5 S8 S15 S16; Firefox S2 S6 S7; Safari S4 S11; unknown S17; Edge S10.
		// Conferences with such a session: Chrome C1 C2 C3 C5 C11; Firefox C1 C4; Safari C2 C8;
		// unknown C3; Edge none (C7 is out of range); "none" C12 (no session).
		// Issues: Chrome 1 (S1) + 4 (S3) + 1 (S5) + 2 (S8) + 2 (S16) = 10, sessions with an error
		// issue S5, S8 = 2/6; Firefox I09, I18, I20 = 3, S7 has custom_thing (e) = 1/3; Safari I03
		// (e) = 1/2; Edge I10; unknown none.
		checkStrs(t, f, "browser", "Chrome", "Firefox", "Safari", "unknown", "Edge", "none")
		checkNums(t, f, "sessions", 6, 3, 2, 1, 1, 0)
		checkNums(t, f, "conferences", 5, 2, 2, 1, 0, 1)
		checkNums(t, f, "issues", 10, 3, 1, 0, 1, 0)
		checkNums(t, f, "errorRatePct", 100.0/3, 100.0/3, 50, 0, 0, math.NaN())
		fld, _ := f.FieldByName("conferences")
		if l := fld.Config.Links[0].URL; !strings.Contains(l, "var-browser=${__data.fields.browser:percentencode}") {
			t.Errorf("link %s", l)
		}
		for i, b := range strs(t, f, "browser")[:5] {
			if got := listedConferences(t, st, `{"filters":{"browser":["`+b+`"]}}`); got != nums(t, f, "conferences")[i] {
				t.Errorf("%s: conferences list has %v", b, got)
			}
		}
	})

	t.Run("city", func(t *testing.T) {
		f := run(t, st, query.TypeBreakdown, `{"groupBy":"city"}`)[0]
		// New York US: S1 S3 S15 (C1 C2 C11), coordinates (40.71+40.73+40.75)/3, (-74.01-73.99-74.00)/3
		// (S15's are strings); Berlin DE: S2 S6 S7 (C1 C4), S7's 0/0 skipped -> 52.51, 13.41;
		// Paris FR: S5 S16 (C3 C11), S16 without coordinates -> 48.86, 2.35; Paris US: S4 (C2);
		// unknown FR: S8 (C5); unknown US: S11 (C8); unknown unknown: S17 (C3); London GB: S10 (no
		// conference in range); none: C12.
		checkStrs(t, f, "city", "New York", "Berlin", "Paris", "Paris", "unknown", "unknown", "unknown", "London", "none")
		checkStrs(t, f, "country", "US", "DE", "FR", "US", "FR", "US", "unknown", "GB", "")
		checkNums(t, f, "sessions", 3, 3, 2, 1, 1, 1, 1, 1, 0)
		checkNums(t, f, "conferences", 3, 2, 2, 1, 1, 1, 1, 0, 1)
		checkNums(t, f, "latitude", 40.73, 52.51, 48.86, 33.66, math.NaN(), math.NaN(), math.NaN(), 51.5, math.NaN())
		checkNums(t, f, "longitude", -74.00, 13.41, 2.35, -95.56, math.NaN(), math.NaN(), math.NaN(), -0.12, math.NaN())
	})

	t.Run("status", func(t *testing.T) {
		f := run(t, st, query.TypeBreakdown, `{"groupBy":"status"}`)[0]
		// Sessions by their conference's status: error S3 S4 (C2) S6 S7 (C4) S8 (C5); warning S1 S2
		// (C1) S10 (C7) S15 S16 (C11); ongoing S5 S17 (C3); success S11 (C8).
		// Conferences: error C2 C4 C5; warning C1 C11; ongoing C3; success C8 C12.
		checkStrs(t, f, "status", "error", "warning", "ongoing", "success")
		checkNums(t, f, "sessions", 5, 5, 2, 1)
		checkNums(t, f, "conferences", 3, 2, 1, 2)
		for i, s := range strs(t, f, "status") {
			if got := listedConferences(t, st, `{"filters":{"status":["`+s+`"]}}`); got != nums(t, f, "conferences")[i] {
				t.Errorf("%s: conferences list has %v", s, got)
			}
		}
	})

	t.Run("issue code", func(t *testing.T) {
		f := run(t, st, query.TypeBreakdown, `{"groupBy":"issueCode"}`)[0]
		// getusermedia_error: sessions S2 S3 S8 S10 S16, 7 issues (I09 I12 I15 I14 I10 I13 I16),
		// conferences C1 C2 C5 C11; none: sessions S11 S15 S17 (no active issue), conferences C8 C12.
		codes := strs(t, f, "issueCode")
		if codes[0] != "getusermedia_error" || codes[1] != "none" {
			t.Fatalf("codes %v", codes)
		}
		if s, c, i := nums(t, f, "sessions"), nums(t, f, "conferences"), nums(t, f, "issues"); s[0] != 5 || c[0] != 4 || i[0] != 7 ||
			s[1] != 3 || c[1] != 2 || i[1] != 0 {
			t.Errorf("sessions %v conferences %v issues %v", s, c, i)
		}
	})

	t.Run("country filter", func(t *testing.T) {
		// DE: Firefox S2 S6 S7 in C1 C4; C1's Chrome session S1 is not DE, so no Chrome row.
		f := run(t, st, query.TypeBreakdown, `{"groupBy":"browser","filters":{"country":["DE"]}}`)[0]
		checkStrs(t, f, "browser", "Firefox")
		checkNums(t, f, "sessions", 3)
		checkNums(t, f, "conferences", 2)
	})

	t.Run("session after the range", func(t *testing.T) {
		// A conference's groups come from all its sessions, also those created after the range: an
		// Opera session of C12 (created in range, no session until now) on 2026-11-05 puts C12 in an
		// Opera group without sessions, and C12 leaves "none". Own pool: it changes the data.
		pool := aggregatesPool(t)
		if _, err := pool.Exec(context.Background(), `INSERT INTO app_session (id, created_at, is_active, constraints, devices, platform, metadata, geo_ip, session_info, duration, conference_id, participant_id)
			VALUES ('00000000-0000-4000-8000-0000000000d9', '2026-11-05 10:00Z', true, '{}', '[]', '{"browser":{"name":"Opera"}}', '{}', '{}', '{}', 30,
			        '00000000-0000-4000-8000-000000000c12', '00000000-0000-4000-8000-000000000b01')`); err != nil {
			t.Fatal(err)
		}
		f := run(t, app1Store(pool), query.TypeBreakdown, `{"groupBy":"browser"}`)[0]
		checkStrs(t, f, "browser", "Chrome", "Firefox", "Safari", "unknown", "Edge", "Opera")
		checkNums(t, f, "sessions", 6, 3, 2, 1, 1, 0)
		checkNums(t, f, "conferences", 5, 2, 2, 1, 0, 1)
	})

	t.Run("scope and limit", func(t *testing.T) {
		f := run(t, store.New(pool, store.Scope{}, settings.Thresholds{}), query.TypeBreakdown, `{"groupBy":"os","limit":2}`)[0]
		// No scope: Windows S1 S3 S10 S14 S15 = 5, Linux S5 S8 S16 = 3, Mac OS S2 S6 S7 = 3 (Linux has
		// C3 C5 C11 = 3 conferences, Mac OS C1 C4 = 2), iOS, Android, unknown.
		checkStrs(t, f, "os", "Windows", "Linux")
		checkNums(t, f, "sessions", 5, 3)
	})
}

// The session-dimension breakdowns of one query (filters, range) share one statement through
// Store.Share: six breakdowns, one run; another filter, another run; each shared answer equals the
// answer of a store without sharing, paging included.
func TestSessionBreakdownsShareOneStatement(t *testing.T) {
	pool := aggregatesPool(t)
	plain := app1Store(pool)
	runs := map[string]int{}
	memo := map[string][]byte{}
	shared := app1Store(pool).WithShare(func(ctx context.Context, name string, q query.Query, compute func(context.Context) ([]byte, error)) ([]byte, error) {
		key := name + string(q.Canonical()) + q.From.String() + q.To.String()
		if b, ok := memo[key]; ok {
			return b, nil
		}
		runs[key]++
		b, err := compute(ctx)
		memo[key] = b
		return b, err
	})
	for _, filters := range []string{`{}`, `{"country":["DE","US"]}`} {
		for _, gb := range []string{"browser", "os", "country", "city", "appVersion", "sdk"} {
			for _, page := range []string{``, `,"limit":2,"offset":1`} {
				body := `{"groupBy":"` + gb + `","filters":` + filters + page + `}`
				got, want := run(t, shared, query.TypeBreakdown, body)[0], run(t, plain, query.TypeBreakdown, body)[0]
				for _, fw := range want.Fields {
					fg, _ := got.FieldByName(fw.Name)
					if fg == nil || fg.Len() != fw.Len() {
						t.Fatalf("%s: field %s missing or of another length", body, fw.Name)
					}
					for i := range fw.Len() {
						g, _ := fg.ConcreteAt(i)
						w, _ := fw.ConcreteAt(i)
						if fmt.Sprint(g) != fmt.Sprint(w) {
							t.Errorf("%s: %s[%d] = %v, without sharing %v", body, fw.Name, i, g, w)
						}
					}
				}
			}
		}
	}
	if len(runs) != 2 {
		t.Errorf("shared statements %v, want one per filter set", runs)
	}
	for k, n := range runs {
		if n != 1 {
			t.Errorf("%s ran %d times", k, n)
		}
	}
}

func TestFunnelHandCounted(t *testing.T) {
	pool := aggregatesPool(t)
	st := app1Store(pool)
	// 13 sessions: S1 S2 S3 S4 S5 S6 S7 S8 S10 S11 S15 S16 S17.
	// Media access: S2 (I09), S3 (I12), S8 (I14), S10 (I10), S16 (I13) fail -> 8.
	// Connection attempted: S17 (the SFU's) has none -> 7 (S1 S4 S5 S6 S7 S11 S15).
	// Connected: S4 (K4 new, no negotiation) and S15 (K14 failed, connection_info a list) are not -> 5.
	// Media flowing: S1 (K1 no stats, 100 s), S5 (K5 of ongoing C3: its stats rows rise), S6 (K6
	// 250 s), S11 (K12 30 s); not S7 (K7 is in ended C4, so the proxy applies: duration 0) -> 4.
	// Stable: S5 (ice_failed I04) and S6 (connection_disconnected I18) drop -> 2 (S1, S11).
	f := run(t, st, query.TypeFunnel, `{}`)[0]
	checkStrs(t, f, "step", "Session started", "Media access OK", "Connection attempted", "Connected", "Media flowing", "Stable")
	checkNums(t, f, "sessions", 13, 8, 7, 5, 4, 2)
	checkNums(t, f, "conversionPct", 100, 800.0/13, 700.0/13, 500.0/13, 400.0/13, 200.0/13)
	// Firefox: S2 (gum) drops; S6 and S7 connect; S6 flows but disconnected.
	f = run(t, st, query.TypeFunnel, `{"filters":{"browser":["Firefox"]}}`)[0]
	checkNums(t, f, "sessions", 3, 2, 2, 2, 1, 0)
	// App three: S14, K15 closed after 60 s with a connected negotiation; its gum error I17 stops it.
	f = run(t, store.New(pool, store.Scope{AppIDs: []string{app3}}, settings.Thresholds{}), query.TypeFunnel, `{}`)[0]
	checkNums(t, f, "sessions", 1, 0, 0, 0, 0, 0)
}

// A session's connections and issues may be stamped before the session itself (the API backdates
// rows by the delay the SDK reports, clocks of API replicas differ) and before the range starts:
// they still belong to the session, which the statements' lower bound on their created_at
// (sincePred) must not cut off.
func TestChildRowsStampedBeforeTheirSession(t *testing.T) {
	pool := aggregatesPool(t)
	st := app1Store(pool)
	// K1 (S1's only connection), I09 (S2's getusermedia_error) and I18 (S6's connection_disconnected),
	// 12 hours before the range.
	for _, sql := range []string{
		`UPDATE app_connection SET created_at = '2026-10-31 12:00Z' WHERE id = '00000000-0000-4000-8000-000000000e01'`,
		`UPDATE app_issue SET created_at = '2026-10-31 12:00Z' WHERE id IN ('00000000-0000-4000-8000-000000000f09', '00000000-0000-4000-8000-000000000f18')`,
	} {
		if _, err := pool.Exec(context.Background(), sql); err != nil {
			t.Fatal(err)
		}
	}
	// As in TestFunnelHandCounted: without I09, S2 would pass media access (13, 9, ...); without K1,
	// S1 would not attempt a connection (13, 8, 6, ...); without I18, S6 would be stable (..., 3).
	f := run(t, st, query.TypeFunnel, `{}`)[0]
	checkNums(t, f, "sessions", 13, 8, 7, 5, 4, 2)
	// As in TestBreakdownHandCounted: Firefox's 3 issues are I09, I18 and I20.
	f = run(t, st, query.TypeBreakdown, `{"groupBy":"browser"}`)[0]
	checkStrs(t, f, "browser", "Chrome", "Firefox", "Safari", "unknown", "Edge", "none")
	checkNums(t, f, "issues", 10, 3, 1, 0, 1, 0)
	f = run(t, st, query.TypeBreakdown, `{"groupBy":"issueCode"}`)[0]
	for code, want := range map[string]float64{"getusermedia_error": 7, "connection_disconnected": 1} {
		if got := nums(t, f, "issues")[slices.Index(strs(t, f, "issueCode"), code)]; got != want {
			t.Errorf("%s issues = %v, want %v", code, got, want)
		}
	}
}
