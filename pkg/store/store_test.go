package store_test

import (
	"context"
	_ "embed"
	"math"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/settings"
	"github.com/peermetrics/grafana-datasource/pkg/store"
	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

//go:embed testdata/fixture.sql
var fixtureSQL string

const (
	org1 = "00000000-0000-4000-8000-000000000a01"
	app1 = "00000000-0000-4000-8000-000000000a11"
	app3 = "00000000-0000-4000-8000-000000000a13"
)

var (
	from = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	to   = time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC)
)

func fixturePool(t *testing.T) *pgxpool.Pool { return loadedPool(t, fixtureSQL) }

// loadedPool is a pool on a fresh database with the schema and sqls run in order.
func loadedPool(t *testing.T, sqls ...string) *pgxpool.Pool {
	t.Helper()
	db := testdb.New(t)
	pool, err := pgxpool.New(context.Background(), db.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	for i, sql := range sqls {
		if _, err := pool.Exec(context.Background(), sql); err != nil {
			t.Fatalf("load fixture %d: %v", i+1, err)
		}
	}
	return pool
}

func run(t *testing.T, st *store.Store, queryType, body string) data.Frames {
	t.Helper()
	q, err := query.Parse(backend.DataQuery{RefID: "A", QueryType: queryType, JSON: []byte(body),
		TimeRange: backend.TimeRange{From: from, To: to}, Interval: time.Hour})
	if err != nil {
		t.Fatalf("parse %s: %v", body, err)
	}
	frames, err := st.Run(context.Background(), q)
	if err != nil {
		t.Fatalf("run %s %s: %v", queryType, body, err)
	}
	return frames
}

// value reads a one-row frame's field; a null reads as NaN.
func value(t *testing.T, f *data.Frame, name string) float64 {
	t.Helper()
	fld, _ := f.FieldByName(name)
	if fld == nil {
		t.Fatalf("no field %q", name)
	}
	v, ok := fld.ConcreteAt(0)
	if !ok {
		return math.NaN()
	}
	switch x := v.(type) {
	case float64:
		return x
	case int64:
		return float64(x)
	}
	t.Fatalf("field %q has type %T", name, v)
	return 0
}

func TestOverviewHandCounted(t *testing.T) {
	pool := fixturePool(t)
	th := settings.Thresholds{}
	cases := []struct {
		name  string
		scope store.Scope
		body  string
		want  map[string]float64
	}{
		{
			// App one: C1 warning (tcp_used), C2 error (connection_failed reached through its
			// connection), C3 ongoing (its ice_failed loses to ongoing), C4 success (its turn_used sits
			// on a soft-deleted connection), C5 error (no_connection reached through its session),
			// C8 success (its issues are soft-deleted or on a soft-deleted session). C6 is soft-deleted,
			// C7 starts before the range.
			// Sessions S1-S8, S10 (created in range under C7), S11 = 10; participants P1-P6 = 6;
			// minutes (120+100+60+60+0+300+200+30+50+40)/60 = 16.
			// Connections K1-K7, K11, K12 = 9; typed 8, relay K2 and K5 = 25 %.
			// Setup: K1 300, K2 1200, K5 600, K6 100, K11 2000 (K3's first negotiation failed, K12's
			// start_time is malformed) -> p50 600, p95 = 1200 + 0.8*(2000-1200) = 1840.
			// getUserMedia problems: S2 and S10 of 10 sessions = 20 %.
			name: "app one", scope: store.Scope{AppIDs: []string{app1}}, body: `{}`,
			want: map[string]float64{"conferences": 6, "conferencesWithErrors": 2, "conferencesWithWarnings": 1,
				"errorRatePct": 100.0 * 2 / 6, "sessions": 10, "participants": 6, "minutes": 16, "connections": 9,
				"relayedPct": 25, "setupP50Ms": 600, "setupP95Ms": 1840, "gumErrorRatePct": 20},
		},
		{
			// Organization one adds C10 with S13 (P7) and K13 (type h, negotiations not a list).
			name: "organization", scope: store.Scope{OrganizationID: org1}, body: `{}`,
			want: map[string]float64{"conferences": 7, "sessions": 11, "participants": 7, "minutes": 17,
				"connections": 10, "relayedPct": 100.0 * 2 / 9, "setupP50Ms": 600, "gumErrorRatePct": 100.0 * 2 / 11},
		},
		{
			name: "no scope", scope: store.Scope{}, body: `{}`,
			want: map[string]float64{"conferences": 8, "sessions": 12, "participants": 8},
		},
		{
			// Firefox sessions S2, S6, S7; their conferences C1, C4; their connections K2, K6, K7.
			name: "browser filter", scope: store.Scope{AppIDs: []string{app1}}, body: `{"filters":{"browser":["Firefox"]}}`,
			want: map[string]float64{"conferences": 2, "sessions": 3, "connections": 3, "participants": 1,
				"conferencesWithWarnings": 1, "conferencesWithErrors": 0, "relayedPct": 100.0 / 3},
		},
		{
			// Error conferences C2 and C5; their sessions S3, S4, S8; their connections K3, K4.
			name: "status filter", scope: store.Scope{AppIDs: []string{app1}}, body: `{"filters":{"status":["error"]}}`,
			want: map[string]float64{"conferences": 2, "conferencesWithErrors": 2, "sessions": 3, "connections": 2},
		},
		{
			// Only C3 has an active ice_failed in an active conference.
			name: "issue code filter", scope: store.Scope{AppIDs: []string{app1}}, body: `{"filters":{"issueCode":["ice_failed"]}}`,
			want: map[string]float64{"conferences": 1},
		},
		{
			// Conference duration >= 100 s: C1 (120), C4 (300).
			name: "duration filter", scope: store.Scope{AppIDs: []string{app1}}, body: `{"filters":{"durationMinSeconds":100}}`,
			want: map[string]float64{"conferences": 2},
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			st := store.New(pool, tc.scope, th)
			f := run(t, st, query.TypeOverview, tc.body)[0]
			for name, want := range tc.want {
				if got := value(t, f, name); math.Abs(got-want) > 1e-9 {
					t.Errorf("%s = %v, want %v", name, got, want)
				}
			}
			if f.Meta == nil || f.Meta.Type != data.FrameTypeNumericWide || f.Meta.ExecutedQueryString == "" {
				t.Errorf("frame meta incomplete: %+v", f.Meta)
			}
		})
	}
}

func TestConferenceStatusHandCounted(t *testing.T) {
	pool := fixturePool(t)
	st := store.New(pool, store.Scope{AppIDs: []string{app1}}, settings.Thresholds{})
	f := run(t, st, query.TypeConferenceStatus, `{}`)[0]
	// Day 1: C1 warning, C2 error. Day 2: C4 and C8 success, C3 ongoing. Day 3: C5 error.
	want := map[string][]int64{
		"success": {0, 2, 0},
		"warning": {1, 0, 0},
		"error":   {1, 0, 1},
		"ongoing": {0, 1, 0},
	}
	if f.Rows() != 3 {
		t.Fatalf("rows = %d, want 3 daily buckets", f.Rows())
	}
	for name, vals := range want {
		fld, _ := f.FieldByName(name)
		for i, v := range vals {
			if got := fld.At(i).(int64); got != v {
				t.Errorf("%s[%d] = %d, want %d", name, i, got, v)
			}
		}
		if len(fld.Config.Links) != 1 {
			t.Errorf("%s has %d links, want 1", name, len(fld.Config.Links))
		}
	}
	if got := f.Fields[0].At(1).(time.Time); !got.Equal(from.Add(24 * time.Hour)) {
		t.Errorf("second bucket at %v", got)
	}
}

func TestConferenceStatusClipsFirstBucket(t *testing.T) {
	pool := fixturePool(t)
	st := store.New(pool, store.Scope{AppIDs: []string{app1}}, settings.Thresholds{})
	// From 11:00 on day 1: C1 (10:00) is outside, C2 (12:00) inside.
	q, err := query.Parse(backend.DataQuery{RefID: "A", QueryType: query.TypeConferenceStatus, JSON: []byte(`{}`),
		TimeRange: backend.TimeRange{From: from.Add(11 * time.Hour), To: to}})
	if err != nil {
		t.Fatal(err)
	}
	frames, err := st.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	f := frames[0]
	w, _ := f.FieldByName("warning")
	e, _ := f.FieldByName("error")
	bs, _ := f.FieldByName("bucketStart")
	if w.At(0).(int64) != 0 || e.At(0).(int64) != 1 {
		t.Errorf("first bucket warning=%v error=%v, want 0 and 1", w.At(0), e.At(0))
	}
	if got := int64(bs.At(0).(float64)); got != from.Add(11*time.Hour).UnixMilli() {
		t.Errorf("first bucket link starts at %d, want the range start", got)
	}
}

func TestAppOutsideScopeIsForbidden(t *testing.T) {
	pool := fixturePool(t)
	for _, scope := range []store.Scope{{AppIDs: []string{app1}}, {OrganizationID: org1}} {
		st := store.New(pool, scope, settings.Thresholds{})
		q, err := query.Parse(backend.DataQuery{RefID: "A", QueryType: query.TypeOverview, JSON: []byte(`{"appId":"` + app3 + `"}`),
			TimeRange: backend.TimeRange{From: from, To: to}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Run(context.Background(), q); err == nil {
			t.Errorf("scope %+v: query for app three answered", scope)
		}
	}
}

// An alert rule asks the overview for one number; it comes back alone, labelled with its name.
func TestOverviewMetricForAlerting(t *testing.T) {
	pool := fixturePool(t)
	st := store.New(pool, store.Scope{AppIDs: []string{app1}}, settings.Thresholds{})
	f := run(t, st, query.TypeOverview, `{"metric":"errorRatePct"}`)[0]
	if len(f.Fields) != 1 || f.Fields[0].Name != "errorRatePct" || f.Fields[0].Labels["metric"] != "errorRatePct" {
		t.Fatalf("fields %v", f.Fields)
	}
	// C2 and C5 of six conferences are errors (see TestOverviewHandCounted).
	if got := value(t, f, "errorRatePct"); math.Abs(got-100.0*2/6) > 1e-9 {
		t.Errorf("errorRatePct = %v", got)
	}
}
