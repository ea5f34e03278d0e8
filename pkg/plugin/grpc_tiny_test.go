package plugin_test

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"os"
	"sort"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/jackc/pgx/v5"

	"github.com/peermetrics/grafana-datasource/pkg/plugintest"
	"github.com/peermetrics/grafana-datasource/pkg/seed"
	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

var (
	tinyOnce sync.Once
	tinyDB   *testdb.DB
	tinyErr  error
)

// tinyDatabase generates the tiny profile once per test run (it is read-only afterwards).
func tinyDatabase(t *testing.T) *testdb.DB {
	t.Helper()
	testdb.New(t) // skips, or fails under CI, when PostgreSQL is missing
	tinyOnce.Do(func() {
		tinyDB, tinyErr = testdb.Create(context.Background(), "pmtiny")
		if tinyErr == nil {
			_, tinyErr = seed.GenerateURL(context.Background(), tinyDB.URL, seed.Profiles["tiny"])
		}
	})
	if tinyErr != nil {
		t.Fatalf("generate tiny profile: %v", tinyErr)
	}
	return tinyDB
}

func TestMain(m *testing.M) {
	code := m.Run()
	if tinyDB != nil {
		_ = testdb.Drop(context.Background(), tinyDB.Name)
	}
	plugintest.RemoveBinary()
	os.Exit(code)
}

// expectedOverview computes the overview's numbers independently of the plugin: correlated
// subqueries per conference for the status (the plugin aggregates issues in one hash join), and
// setup times decoded with encoding/json and time.Parse (the plugin reads them with its own isoMicros).
func expectedOverview(t *testing.T, conn *pgx.Conn, from, to time.Time, appID string) map[string]float64 {
	t.Helper()
	ctx := context.Background()
	appFilter := "true"
	args := []any{from, to}
	if appID != "" {
		appFilter = "a.id = $3"
		args = append(args, appID)
	}
	want := map[string]float64{}
	var confs, errs, warns int64
	err := conn.QueryRow(ctx, `
SELECT count(*),
  count(*) FILTER (WHERE NOT c.ongoing AND EXISTS (SELECT 1 FROM app_issue i JOIN app_session s ON s.id = i.session_id
      WHERE s.conference_id = c.id AND s.is_active AND i.is_active AND i.type = 'e'
        AND (i.connection_id IS NULL OR EXISTS (SELECT 1 FROM app_connection k WHERE k.id = i.connection_id AND k.is_active)))),
  count(*) FILTER (WHERE NOT c.ongoing
      AND NOT EXISTS (SELECT 1 FROM app_issue i JOIN app_session s ON s.id = i.session_id
        WHERE s.conference_id = c.id AND s.is_active AND i.is_active AND i.type = 'e'
          AND (i.connection_id IS NULL OR EXISTS (SELECT 1 FROM app_connection k WHERE k.id = i.connection_id AND k.is_active)))
      AND EXISTS (SELECT 1 FROM app_issue i JOIN app_session s ON s.id = i.session_id
        WHERE s.conference_id = c.id AND s.is_active AND i.is_active AND i.type = 'w'
          AND (i.connection_id IS NULL OR EXISTS (SELECT 1 FROM app_connection k WHERE k.id = i.connection_id AND k.is_active))))
FROM conference c JOIN app a ON a.id = c.app_id
WHERE a.is_active AND c.is_active AND c.created_at >= $1 AND c.created_at < $2 AND `+appFilter, args...).Scan(&confs, &errs, &warns)
	if err != nil {
		t.Fatal(err)
	}
	want["conferences"], want["conferencesWithErrors"], want["conferencesWithWarnings"] = float64(confs), float64(errs), float64(warns)

	var sessions, participants, gum int64
	var minutes float64
	err = conn.QueryRow(ctx, `
SELECT count(*), count(DISTINCT s.participant_id) FILTER (WHERE p.is_active AND NOT p.is_sfu), COALESCE(sum(s.duration), 0) / 60.0,
  count(*) FILTER (WHERE EXISTS (SELECT 1 FROM app_issue i WHERE i.session_id = s.id AND i.is_active
                                 AND i.code IN ('getusermedia_error', 'no_media_access')))
FROM app_session s JOIN conference c ON c.id = s.conference_id JOIN app a ON a.id = c.app_id JOIN participant p ON p.id = s.participant_id
WHERE a.is_active AND c.is_active AND s.is_active AND s.created_at >= $1 AND s.created_at < $2 AND `+appFilter, args...).Scan(&sessions, &participants, &minutes, &gum)
	if err != nil {
		t.Fatal(err)
	}
	want["sessions"], want["participants"], want["minutes"] = float64(sessions), float64(participants), minutes
	want["gumErrorRatePct"] = 100 * float64(gum) / float64(sessions)

	rows, err := conn.Query(ctx, `
SELECT k.type, k.connection_info FROM app_connection k JOIN app_session s ON s.id = k.session_id
  JOIN conference c ON c.id = k.conference_id JOIN app a ON a.id = c.app_id
WHERE a.is_active AND c.is_active AND s.is_active AND k.is_active AND k.created_at >= $1 AND k.created_at < $2 AND `+appFilter, args...)
	if err != nil {
		t.Fatal(err)
	}
	var connections, typed, relayed int
	var setups []float64
	for rows.Next() {
		var typ *string
		var info json.RawMessage
		if err := rows.Scan(&typ, &info); err != nil {
			t.Fatal(err)
		}
		connections++
		if typ != nil {
			typed++
			if *typ == "r" {
				relayed++
			}
		}
		var ci struct {
			Negotiations []struct {
				Start  string `json:"start_time"`
				End    string `json:"end_time"`
				Status string `json:"status"`
			} `json:"negotiations"`
		}
		if json.Unmarshal(info, &ci) != nil || len(ci.Negotiations) == 0 || ci.Negotiations[0].Status != "connected" {
			continue
		}
		st, err1 := time.Parse(time.RFC3339Nano, ci.Negotiations[0].Start)
		en, err2 := time.Parse(time.RFC3339Nano, ci.Negotiations[0].End)
		if err1 == nil && err2 == nil && !en.Before(st) {
			setups = append(setups, float64(en.Sub(st))/float64(time.Millisecond))
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	want["connections"] = float64(connections)
	want["relayedPct"] = 100 * float64(relayed) / float64(typed)
	want["setupP50Ms"] = percentileCont(setups, 0.5)
	want["setupP95Ms"] = percentileCont(setups, 0.95)
	if confs > 0 {
		want["errorRatePct"] = 100 * float64(errs) / float64(confs)
	}
	return want
}

// percentileCont is PostgreSQL's percentile_cont: linear interpolation between closest ranks.
func percentileCont(v []float64, p float64) float64 {
	sort.Float64s(v)
	pos := p * float64(len(v)-1)
	lo := math.Floor(pos)
	if int(lo)+1 >= len(v) {
		return v[len(v)-1]
	}
	return v[int(lo)] + (pos-lo)*(v[int(lo)+1]-v[int(lo)])
}

func frameValue(t *testing.T, f *data.Frame, name string) float64 {
	t.Helper()
	fld, _ := f.FieldByName(name)
	if fld == nil {
		t.Fatalf("frame %s has no field %s", f.Name, name)
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
	t.Fatalf("field %s is %T", name, v)
	return 0
}

func TestGRPCOverviewMatchesIndependentSQLOnTiny(t *testing.T) {
	db := tinyDatabase(t)
	p := startGRPCPlugin(t)
	s := testDBSettings(db)
	conn, err := pgx.Connect(context.Background(), db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())

	end := seed.TinyEnd
	var someApp string
	if err := conn.QueryRow(context.Background(), `SELECT id::text FROM app ORDER BY name LIMIT 1`).Scan(&someApp); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name     string
		from, to time.Time
		appID    string
	}{
		{"whole profile", end.Add(-3 * 24 * time.Hour), end, ""},
		{"one day of one app", end.Add(-2 * 24 * time.Hour), end.Add(-24 * time.Hour), someApp},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			body := `{}`
			if tc.appID != "" {
				body = `{"appId":"` + tc.appID + `"}`
			}
			res := p.queryData(t, s, grpcQuery{RefID: "A", QueryType: "overview", JSON: body, From: tc.from, To: tc.to})
			r := res.Responses["A"]
			if r.Error != nil {
				t.Fatalf("overview: %v", r.Error)
			}
			want := expectedOverview(t, conn, tc.from, tc.to, tc.appID)
			if want["conferences"] == 0 || want["conferencesWithErrors"] == 0 || want["conferencesWithWarnings"] == 0 {
				t.Fatalf("the tiny profile should have conferences of every status here: %v", want)
			}
			for name, w := range want {
				if got := frameValue(t, r.Frames[0], name); math.Abs(got-w) > 1e-6 {
					t.Errorf("%s = %v, independent SQL says %v", name, got, w)
				}
			}
		})
	}
}

func TestGRPCConferenceStatusMatchesIndependentSQLOnTiny(t *testing.T) {
	db := tinyDatabase(t)
	p := startGRPCPlugin(t)
	s := testDBSettings(db)
	from, to := seed.TinyEnd.Add(-3*24*time.Hour), seed.TinyEnd
	res := p.queryData(t, s, grpcQuery{RefID: "A", QueryType: "conferenceStatus", JSON: `{}`, From: from, To: to})
	if err := res.Responses["A"].Error; err != nil {
		t.Fatal(err)
	}
	f := res.Responses["A"].Frames[0]

	conn, err := pgx.Connect(context.Background(), db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// Status with Peermetrics's precedence, written as a per-conference CASE over correlated
	// subqueries, issues attributed through connection or session.
	rows, err := conn.Query(context.Background(), `
WITH st AS (
  SELECT date_trunc('day', c.created_at AT TIME ZONE 'UTC') AS day,
    CASE WHEN c.ongoing THEN 'ongoing'
         WHEN EXISTS (SELECT 1 FROM app_issue i JOIN app_session s ON s.id = i.session_id LEFT JOIN app_connection k ON k.id = i.connection_id
                      WHERE s.conference_id = c.id AND s.is_active AND i.is_active AND i.type = 'e' AND (k.id IS NULL OR k.is_active)) THEN 'error'
         WHEN EXISTS (SELECT 1 FROM app_issue i JOIN app_session s ON s.id = i.session_id LEFT JOIN app_connection k ON k.id = i.connection_id
                      WHERE s.conference_id = c.id AND s.is_active AND i.is_active AND i.type = 'w' AND (k.id IS NULL OR k.is_active)) THEN 'warning'
         ELSE 'success' END AS status
  FROM conference c JOIN app a ON a.id = c.app_id
  WHERE a.is_active AND c.is_active AND c.created_at >= $1 AND c.created_at < $2)
SELECT day, status, count(*) FROM st GROUP BY 1, 2`, from, to)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]map[time.Time]int64{}
	for rows.Next() {
		var day time.Time
		var status string
		var n int64
		if err := rows.Scan(&day, &status, &n); err != nil {
			t.Fatal(err)
		}
		if want[status] == nil {
			want[status] = map[time.Time]int64{}
		}
		want[status][day.UTC()] = n
	}
	if len(want) != 4 {
		t.Fatalf("the tiny profile should have all four statuses, has %v", want)
	}
	times := f.Fields[0]
	if times.Len() != 3 {
		t.Fatalf("%d buckets, want 3 days", times.Len())
	}
	for _, status := range []string{"success", "warning", "error", "ongoing"} {
		fld, _ := f.FieldByName(status)
		for i := 0; i < times.Len(); i++ {
			day := times.At(i).(time.Time).UTC()
			if got, w := fld.At(i).(int64), want[status][day]; got != w {
				t.Errorf("%s on %s = %d, independent SQL says %d", status, day.Format("2006-01-02"), got, w)
			}
		}
	}
}

// Each RefID gets its own answer: bad queries get a 400 from downstream, the good one answers.
func TestGRPCBadQueriesFailAloneWithStatus(t *testing.T) {
	db := tinyDatabase(t)
	p := startGRPCPlugin(t)
	s := testDBSettings(db)
	from, to := seed.TinyEnd.Add(-24*time.Hour), seed.TinyEnd
	res := p.queryData(t, s,
		grpcQuery{RefID: "good", QueryType: "overview", JSON: `{}`, From: from, To: to},
		grpcQuery{RefID: "json", JSON: `{"queryType": "overview", `, From: from, To: to},
		grpcQuery{RefID: "type", JSON: `{"queryType": "nope"}`, From: from, To: to},
		grpcQuery{RefID: "uuid", JSON: `{"queryType": "overview", "appId": "1; DROP TABLE app"}`, From: from, To: to},
		grpcQuery{RefID: "range", JSON: `{"queryType": "overview"}`, From: to, To: from},
		grpcQuery{RefID: "limit", JSON: `{"queryType": "overview", "limit": 1000000}`, From: from, To: to},
		grpcQuery{RefID: "filter", JSON: `{"queryType": "overview", "filters": {"browser": {"x": 1}}}`, From: from, To: to},
	)
	if r := res.Responses["good"]; r.Error != nil || len(r.Frames) != 1 {
		t.Fatalf("the good query failed: %v", r.Error)
	}
	for ref, part := range map[string]string{"json": "JSON", "type": `unknown queryType "nope"`, "uuid": "not a uuid",
		"range": "reversed", "limit": "limit must be between", "filter": "filters.browser"} {
		r := res.Responses[ref]
		if r.Error == nil {
			t.Errorf("%s: no error", ref)
			continue
		}
		if r.Status != http.StatusBadRequest || r.ErrorSource != backend.ErrorSourceDownstream {
			t.Errorf("%s: status %d source %q, want 400 downstream", ref, r.Status, r.ErrorSource)
		}
		mustContain(t, r.Error.Error(), part)
	}
}
