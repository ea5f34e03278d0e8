package store_test

import (
	"context"
	"fmt"
	"math"
	"os"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/seed"
	"github.com/peermetrics/grafana-datasource/pkg/settings"
	"github.com/peermetrics/grafana-datasource/pkg/store"
	"github.com/peermetrics/grafana-datasource/pkg/testdb"
	"github.com/peermetrics/grafana-datasource/pkg/webrtcstats"
)

var defaultThresholds = settings.Thresholds{LossPct: 5, RTTMs: 400, JitterMs: 30, MOS: 3.5}

// tinyPool is a new database holding the generated tiny profile.
func tinyPool(tb testing.TB) *pgxpool.Pool {
	tb.Helper()
	db := testdb.New(tb)
	if _, err := seed.GenerateURL(context.Background(), db.URL, seed.Profiles["tiny"]); err != nil {
		tb.Fatalf("generate tiny: %v", err)
	}
	pool, err := pgxpool.New(context.Background(), db.URL)
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(pool.Close)
	return pool
}

func parseQ(tb testing.TB, queryType, body string, from, to time.Time, interval time.Duration) query.Query {
	tb.Helper()
	q, err := query.Parse(backend.DataQuery{RefID: "A", QueryType: queryType, JSON: []byte(body),
		TimeRange: backend.TimeRange{From: from, To: to}, Interval: interval})
	if err != nil {
		tb.Fatalf("parse %s: %v", body, err)
	}
	return q
}

func exec(tb testing.TB, pool *pgxpool.Pool, sql string, args ...any) int64 {
	tb.Helper()
	tag, err := pool.Exec(context.Background(), sql, args...)
	if err != nil {
		tb.Fatalf("%s: %v", sql, err)
	}
	return tag.RowsAffected()
}

func noticeText(f *data.Frame) string {
	var parts []string
	if f.Meta != nil {
		for _, n := range f.Meta.Notices {
			parts = append(parts, n.Text)
		}
	}
	return strings.Join(parts, " | ")
}

// seriesKey identifies a connectionStats frame by its labels.
func seriesKey(f *data.Frame) string {
	if len(f.Fields) < 2 {
		return ""
	}
	return f.Fields[1].Labels.String()
}

func fieldF(f *data.Frame, name string, i int) *float64 {
	fld, _ := f.FieldByName(name)
	if fld == nil {
		return nil
	}
	return fld.At(i).(*float64)
}

func sameF(a, b *float64) bool {
	if a == nil || b == nil {
		return a == nil && b == nil
	}
	return math.Abs(*a-*b) <= 1e-9*math.Max(1, math.Abs(*a))
}

// TestStatsOnTiny generates the tiny profile once and runs, in this order (the last ones change the
// database): fleet quality in SQL against webrtcstats, derived issues, connectionStats.
func TestStatsOnTiny(t *testing.T) {
	pool := tinyPool(t)
	t.Run("quality SQL matches webrtcstats", func(t *testing.T) { qualitySQLMatchesWebrtcstats(t, pool) })
	t.Run("derived issues", func(t *testing.T) { derivedIssuesTiny(t, pool) })
	t.Run("connectionStats", func(t *testing.T) { connectionStatsTiny(t, pool) })
}

// connectionStatsTiny checks connectionStats on the generated tiny profile: readable labels,
// counter resets, raw rows and summary giving the same series, and gaps.
func connectionStatsTiny(t *testing.T, pool *pgxpool.Pool) {
	ctx := context.Background()
	st := store.New(pool, store.Scope{}, defaultThresholds)
	end := seed.TinyEnd
	from, to := end.Add(-3*24*time.Hour), end

	// Conferences that still have raw stats rows and also have a summary (ended in the last day).
	rows, err := pool.Query(ctx, `SELECT c.id::text FROM conference c WHERE c.is_active AND NOT c.ongoing
  AND EXISTS (SELECT 1 FROM summary su WHERE su.conference_id = c.id AND su.is_active)
  AND EXISTS (SELECT 1 FROM app_genericevent e WHERE e.conference_id = c.id AND e.type = 'stats' AND e.is_active)
  ORDER BY c.created_at`)
	if err != nil {
		t.Fatal(err)
	}
	var both []string
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		both = append(both, id)
	}
	rows.Close()
	if len(both) < 10 {
		t.Fatalf("tiny has %d conferences with raw rows and a summary, want >= 10", len(both))
	}

	t.Run("labels", func(t *testing.T) {
		// A LiveKit conference: its users' connections go to the SFU's publisher and subscriber.
		var conf string
		err := pool.QueryRow(ctx, `SELECT cn.conference_id::text FROM app_connection cn JOIN participant p ON p.id = cn.peer_id
  WHERE p.participant_id = 'livekit-sfu-server-inbound' AND cn.is_active
    AND EXISTS (SELECT 1 FROM app_genericevent e WHERE e.connection_id = cn.id AND e.type = 'stats') LIMIT 1`).Scan(&conf)
		if err != nil {
			t.Fatal(err)
		}
		fs, err := st.ConnectionStats(ctx, parseQ(t, query.TypeConnectionStats, `{"conferenceId":"`+conf+`"}`, from, to, 0), store.SourceAuto)
		if err != nil {
			t.Fatal(err)
		}
		peers := map[string]bool{}
		for _, f := range fs {
			l := f.Fields[1].Labels
			peers[l["peer"]] = true
			for _, k := range []string{"participant", "peer", "kind", "direction", "connection"} {
				if l[k] == "" {
					t.Errorf("frame %s lacks label %s", l, k)
				}
			}
			if f.Fields[1].Config.DisplayNameFromDS == "" || f.Fields[1].Config.Unit != "bps" {
				t.Errorf("bitrate field config %+v", f.Fields[1].Config)
			}
			if f.Meta == nil || f.Meta.Type != data.FrameTypeTimeSeriesMulti || f.Meta.ExecutedQueryString == "" {
				t.Errorf("frame meta %+v", f.Meta)
			}
		}
		if !peers["LiveKit SFU (publisher)"] || !peers["LiveKit SFU (subscriber)"] {
			t.Errorf("peers %v: want the LiveKit publisher and subscriber", peers)
		}
		if n := noticeText(fs[0]); !strings.Contains(n, "raw stats rows") || !strings.Contains(n, "0 malformed") {
			t.Errorf("notice %q", n)
		}
	})

	t.Run("counter reset gives a null", func(t *testing.T) {
		// A raw main row whose inbound bytes went down: the generator's ICE restart with a stats reset.
		var connID string
		var at time.Time
		err := pool.QueryRow(ctx, `SELECT connection_id::text, created_at FROM (
  SELECT e.connection_id, e.created_at, (x ->> 'bytesReceived')::numeric AS b,
         lag((x ->> 'bytesReceived')::numeric) OVER (PARTITION BY e.connection_id, x ->> 'id' ORDER BY e.created_at) AS pb
  FROM app_genericevent e, jsonb_array_elements(e.data #> '{audio,inbound}') x
  WHERE e.type = 'stats' AND e.is_active AND e.track_id IS NULL) r
WHERE b < pb ORDER BY created_at LIMIT 1`).Scan(&connID, &at)
		if err != nil {
			t.Fatalf("no counter reset in tiny: %v", err)
		}
		fs, err := st.ConnectionStats(ctx, parseQ(t, query.TypeConnectionStats, `{"connectionId":"`+connID+`"}`, from, to, 0), store.SourceRaw)
		if err != nil {
			t.Fatal(err)
		}
		checked := false
		for _, f := range fs {
			if f.Fields[1].Labels["direction"] != "inbound" {
				continue
			}
			for i := 0; i < f.Rows(); i++ {
				for _, fld := range f.Fields[1:] {
					if v := fld.At(i).(*float64); v != nil && *v < 0 {
						t.Errorf("%s negative at %v", fld.Name, f.Fields[0].At(i))
					}
				}
				if f.Fields[0].At(i).(time.Time).Equal(at) {
					checked = true
					for _, name := range []string{"bitrate", "packetRate", "lossPct", "mos"} {
						if v := fieldF(f, name, i); v != nil {
							t.Errorf("%s at the reset = %v, want null", name, *v)
						}
					}
				}
			}
			// no spike: the largest inbound bitrate stays within the stream's plausible range
			for i := 0; i < f.Rows(); i++ {
				if v := fieldF(f, "bitrate", i); v != nil && *v > 10e6 {
					t.Errorf("bitrate spike %v at %v", *v, f.Fields[0].At(i))
				}
			}
		}
		if !checked {
			t.Errorf("no inbound point at the reset time %v", at)
		}
	})

	t.Run("raw rows and summary give the same series", func(t *testing.T) {
		// The summary keeps one snapshot every 30 s (more for long calls) at millisecond precision;
		// the raw rows are every 10 s at microsecond precision. Thin the raw main rows of these
		// conferences to the snapshots' instants, so that both sources hold the same samples; the
		// math must then give the same series.
		exec(t, pool, `UPDATE app_genericevent SET created_at = date_trunc('milliseconds', created_at)
  WHERE conference_id = ANY($1::uuid[]) AND type = 'stats'`, both)
		exec(t, pool, `DELETE FROM app_genericevent e WHERE e.conference_id = ANY($1::uuid[]) AND e.type = 'stats' AND e.track_id IS NULL
  AND NOT EXISTS (SELECT 1 FROM summary su, jsonb_array_elements(su.data) x
                  WHERE su.conference_id = e.conference_id AND x ->> 'connection' = e.connection_id::text
                    AND (x ->> 'created_at')::timestamptz = e.created_at)`, both)
		compared, points, trimmed := 0, 0, 0
		for _, conf := range both {
			q := parseQ(t, query.TypeConnectionStats, `{"conferenceId":"`+conf+`"}`, from, to, 0)
			raw, err := st.ConnectionStats(ctx, q, store.SourceRaw)
			if err != nil {
				t.Fatal(err)
			}
			sum, err := st.ConnectionStats(ctx, q, store.SourceSummary)
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(noticeText(sum[0]), "summary.data") {
				t.Errorf("summary notice %q", noticeText(sum[0]))
			}
			if len(raw) != len(sum) {
				t.Errorf("conference %s: %d frames from raw rows, %d from the summary", conf, len(raw), len(sum))
				continue
			}
			for i := range raw {
				r, s := raw[i], sum[i]
				if seriesKey(r) != seriesKey(s) || r.Rows() != s.Rows() {
					t.Errorf("conference %s frame %d: raw %s (%d rows) vs summary %s (%d rows)", conf, i, seriesKey(r), r.Rows(), seriesKey(s), s.Rows())
					continue
				}
				outVideo := r.Fields[1].Labels["kind"] == "video" && r.Fields[1].Labels["direction"] == "outbound"
				for row := 0; row < r.Rows(); row++ {
					if !r.Fields[0].At(row).(time.Time).Equal(s.Fields[0].At(row).(time.Time)) {
						t.Fatalf("conference %s %s row %d: time %v vs %v", conf, seriesKey(r), row, r.Fields[0].At(row), s.Fields[0].At(row))
					}
					for _, fld := range r.Fields[1:] {
						a, b := fld.At(row).(*float64), fieldF(s, fld.Name, row)
						// What the summary trims (webrtcstats.ParseSummary): an outbound report keeps
						// its counters only (no frameHeight), and the pair loses currentRoundTripTime,
						// which is the only RTT of an inbound stream without a remote-inbound report
						// at its first sample (no previous pair sample to difference).
						if outVideo && fld.Name == "frameHeight" || fld.Name == "rttMs" && row == 0 && a != nil && b == nil {
							trimmed++
							continue
						}
						if !sameF(a, b) {
							t.Errorf("conference %s %s row %d %s: raw %v summary %v", conf, seriesKey(r), row, fld.Name, fmtP(a), fmtP(b))
						}
					}
					points++
				}
				compared++
			}
		}
		if compared < 50 || points < 1000 {
			t.Errorf("compared only %d series, %d points", compared, points)
		}
		t.Logf("compared %d series, %d points over %d conferences; %d values the summary does not keep", compared, points, len(both), trimmed)

		// With its raw rows gone, SourceAuto falls back to the summary.
		conf := both[0]
		exec(t, pool, `DELETE FROM app_genericevent WHERE conference_id = $1::uuid AND type = 'stats'`, conf)
		fs, err := st.ConnectionStats(ctx, parseQ(t, query.TypeConnectionStats, `{"conferenceId":"`+conf+`"}`, from, to, 0), store.SourceAuto)
		if err != nil {
			t.Fatal(err)
		}
		if n := noticeText(fs[0]); !strings.Contains(n, "summary.data for") || strings.Contains(n, "raw stats rows for") {
			t.Errorf("after cleanup the notice says %q", n)
		}
	})

	t.Run("gaps break the line", func(t *testing.T) {
		// Remove 6 consecutive polls (60 s > 3 x 10 s) in the middle of an ongoing connection.
		var connID string
		var cut time.Time
		err := pool.QueryRow(ctx, `SELECT e.connection_id::text, e.created_at FROM app_genericevent e JOIN conference c ON c.id = e.conference_id
  WHERE c.ongoing AND e.type = 'stats' AND e.track_id IS NULL AND e.is_active
    AND jsonb_array_length(e.data #> '{audio,inbound}') > 0
  ORDER BY e.connection_id, e.created_at OFFSET 20 LIMIT 1`).Scan(&connID, &cut)
		if err != nil {
			t.Fatal(err)
		}
		n := exec(t, pool, `DELETE FROM app_genericevent WHERE connection_id = $1::uuid AND type = 'stats'
  AND created_at > $2 AND created_at < $2 + interval '65 seconds'`, connID, cut)
		if n < 6 {
			t.Fatalf("deleted %d rows", n)
		}
		fs, err := st.ConnectionStats(ctx, parseQ(t, query.TypeConnectionStats, `{"connectionId":"`+connID+`"}`, from, to, 0), store.SourceAuto)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range fs {
			found := false
			for i := 0; i < f.Rows(); i++ {
				ti := f.Fields[0].At(i).(time.Time)
				if ti.After(cut) && ti.Before(cut.Add(65*time.Second)) {
					found = true
					for _, fld := range f.Fields[1:] {
						if v := fld.At(i).(*float64); v != nil {
							t.Errorf("%s: %s = %v inside the gap, want null", seriesKey(f), fld.Name, *v)
						}
					}
				}
			}
			if !found {
				t.Errorf("%s: no null point inside the gap after %v", seriesKey(f), cut)
			}
		}
	})

	t.Run("empty range says when the connections lived", func(t *testing.T) {
		fs, err := st.ConnectionStats(ctx, parseQ(t, query.TypeConnectionStats, `{"conferenceId":"`+both[1]+`"}`,
			from.Add(-48*time.Hour), from.Add(-47*time.Hour), 0), store.SourceAuto)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 1 || len(fs[0].Fields) != 0 || !strings.Contains(noticeText(fs[0]), "lived from") {
			t.Errorf("frames %d, notice %q", len(fs), noticeText(fs[0]))
		}
	})
}

func fmtP(v *float64) string {
	if v == nil {
		return "null"
	}
	return fmt.Sprint(*v)
}

// qualitySQLMatchesWebrtcstats computes fleet quality on the tiny profile in SQL and again in Go
// with webrtcstats.BuildSeries over the same samples (summary.data for ended conferences, raw rows
// otherwise), bucket by bucket: the SQL transcription of the metrics must agree with the package.
func qualitySQLMatchesWebrtcstats(t *testing.T, pool *pgxpool.Pool) {
	ctx := context.Background()
	st := store.New(pool, store.Scope{}, defaultThresholds)
	end := seed.TinyEnd
	from, to := end.Add(-3*24*time.Hour), end
	step := 6 * time.Hour
	q := parseQ(t, query.TypeQuality, `{}`, from, to, step)
	got, _, _, err := st.QualityBuckets(ctx, q, step)
	if err != nil {
		t.Fatal(err)
	}

	// Reference in Go.
	type connInfo struct {
		session, conf string
		summary       bool
	}
	conns := map[string]connInfo{}
	rows, err := pool.Query(ctx, `SELECT cn.id::text, cn.session_id::text, cn.conference_id::text,
  NOT c.ongoing AND EXISTS (SELECT 1 FROM summary su WHERE su.conference_id = c.id AND su.is_active)
FROM app_connection cn JOIN app_session s ON s.id = cn.session_id JOIN conference c ON c.id = cn.conference_id
JOIN app a ON a.id = c.app_id
WHERE cn.is_active AND s.is_active AND c.is_active AND a.is_active AND cn.created_at >= $1 AND cn.created_at < $2`,
		from.Add(-24*time.Hour), to)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		var ci connInfo
		if err := rows.Scan(&id, &ci.session, &ci.conf, &ci.summary); err != nil {
			t.Fatal(err)
		}
		conns[id] = ci
	}
	rows.Close()
	samples := map[string][]webrtcstats.Sample{}
	rows, err = pool.Query(ctx, `SELECT su.data FROM summary su WHERE su.is_active`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var raw []byte
		_ = rows.Scan(&raw)
		snaps, _, _ := webrtcstats.ParseSummary(raw)
		for cid, ss := range webrtcstats.SamplesByConnection(snaps) {
			if ci, ok := conns[cid]; ok && ci.summary {
				samples[cid] = append(samples[cid], ss...)
			}
		}
	}
	rows.Close()
	rows, err = pool.Query(ctx, `SELECT connection_id::text, created_at, data FROM app_genericevent
WHERE type = 'stats' AND category = 'S' AND is_active AND connection_id IS NOT NULL AND created_at >= $1 AND created_at < $2
ORDER BY created_at, id`, from.Add(-10*time.Minute), to)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var cid string
		var at time.Time
		var raw []byte
		_ = rows.Scan(&cid, &at, &raw)
		if ci, ok := conns[cid]; !ok || ci.summary {
			continue
		}
		if s, err := webrtcstats.ParseSample(at.UTC(), raw); err == nil {
			samples[cid] = append(samples[cid], s)
		}
	}
	rows.Close()
	type acc struct {
		mos, loss, rtt, jit []float64
		sessions, poor      map[string]bool
		n                   int64
	}
	want := map[int64]*acc{}
	for cid, ss := range samples {
		for _, sr := range webrtcstats.BuildSeries(ss) {
			if sr.Key.Kind != webrtcstats.Audio || sr.Key.Direction != webrtcstats.Inbound {
				continue
			}
			for _, p := range sr.Points {
				if p.Gap || p.Time.Before(from) || !p.Time.Before(to) {
					continue
				}
				b := p.Time.Truncate(step).Unix()
				a := want[b]
				if a == nil {
					a = &acc{sessions: map[string]bool{}, poor: map[string]bool{}}
					want[b] = a
				}
				a.n++
				sess := conns[cid].session
				a.sessions[sess] = true
				th := defaultThresholds
				if p.MOS != nil {
					a.mos = append(a.mos, *p.MOS)
				}
				if p.LossPct != nil {
					a.loss = append(a.loss, *p.LossPct)
				}
				if p.RttMs != nil {
					a.rtt = append(a.rtt, *p.RttMs)
				}
				if p.JitterMs != nil {
					a.jit = append(a.jit, *p.JitterMs)
				}
				if (p.LossPct != nil && *p.LossPct > th.LossPct) || (p.RttMs != nil && *p.RttMs > th.RTTMs) ||
					(p.JitterMs != nil && *p.JitterMs > th.JitterMs) || (p.MOS != nil && *p.MOS < th.MOS) {
					a.poor[sess] = true
				}
			}
		}
	}
	if len(got) != len(want) || len(got) < 8 {
		t.Fatalf("SQL gives %d buckets, Go %d", len(got), len(want))
	}
	for _, b := range got {
		w := want[b.Time.Unix()]
		if w == nil {
			t.Errorf("bucket %v only in SQL", b.Time)
			continue
		}
		if b.Samples != w.n || b.Sessions != int64(len(w.sessions)) || b.PoorSessions != int64(len(w.poor)) {
			t.Errorf("bucket %v: samples %d/%d sessions %d/%d poor %d/%d (SQL/Go)", b.Time, b.Samples, w.n, b.Sessions, len(w.sessions), b.PoorSessions, len(w.poor))
		}
		for _, c := range []struct {
			name string
			got  *float64
			vals []float64
			p    float64
		}{{"mosP50", b.MOSP50, w.mos, 0.5}, {"mosP5", b.MOSP5, w.mos, 0.05}, {"lossP50", b.LossP50, w.loss, 0.5},
			{"lossP95", b.LossP95, w.loss, 0.95}, {"rttP50", b.RTTP50, w.rtt, 0.5}, {"rttP95", b.RTTP95, w.rtt, 0.95},
			{"jitterP50", b.JitterP50, w.jit, 0.5}, {"jitterP95", b.JitterP95, w.jit, 0.95}} {
			if ref := percentileCont(c.vals, c.p); !sameF(c.got, ref) {
				t.Errorf("bucket %v %s: SQL %s Go %s (%d values)", b.Time, c.name, fmtP(c.got), fmtP(ref), len(c.vals))
			}
		}
	}
	// The fleet has both sources in this range.
	nSum, nRaw := 0, 0
	for _, ci := range conns {
		if ci.summary {
			nSum++
		} else {
			nRaw++
		}
	}
	if nSum == 0 || nRaw == 0 {
		t.Errorf("connections from summaries %d, from raw rows %d: want both", nSum, nRaw)
	}

	// The query type: every bucket of the range, units, thresholds.
	fs := run2(t, st, q)
	f := fs[0]
	if f.Rows() != 12 || f.Meta.Type != data.FrameTypeTimeSeriesWide {
		t.Errorf("quality frame: %d rows, type %s", f.Rows(), f.Meta.Type)
	}
	if fld, _ := f.FieldByName("poorSessionsPct"); fld == nil || fld.Config.Unit != "percent" {
		t.Errorf("poorSessionsPct field %+v", fld)
	}
}

func run2(t *testing.T, st *store.Store, q query.Query) data.Frames {
	t.Helper()
	fs, err := st.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return fs
}

// percentileCont is PostgreSQL's percentile_cont: linear interpolation between the two nearest ranks.
func percentileCont(vals []float64, p float64) *float64 {
	if len(vals) == 0 {
		return nil
	}
	v := append([]float64(nil), vals...)
	sort.Float64s(v)
	pos := p * float64(len(v)-1)
	lo := math.Floor(pos)
	hi := math.Ceil(pos)
	r := v[int(lo)]
	if hi != lo {
		r = v[int(lo)] + (pos-lo)*(v[int(hi)]-v[int(lo)])
	}
	return &r
}

// handFixture is one ongoing conference (raw stats rows, no summary) with two participants A and
// B and one connection each, three polls 10 s apart of one inbound audio stream per connection.
const handFixture = `
INSERT INTO organization VALUES ('00000000-0000-4000-8000-0000000000f1', '2026-01-01', true, 'org');
INSERT INTO app (id, created_at, is_active, name, api_key, recording, durations_days, organization_id)
  VALUES ('00000000-0000-4000-8000-0000000000f2', '2026-01-01', true, 'app', 'key', false, '{}', '00000000-0000-4000-8000-0000000000f1');
INSERT INTO participant VALUES
  ('00000000-0000-4000-8000-00000000000a', '2026-01-01', true, 'alice', 'Alice', false, '00000000-0000-4000-8000-0000000000f2'),
  ('00000000-0000-4000-8000-00000000000b', '2026-01-01', true, 'bob', NULL, false, '00000000-0000-4000-8000-0000000000f2');
INSERT INTO conference (id, created_at, is_active, conference_id, conference_info, ongoing, duration, app_id)
  VALUES ('00000000-0000-4000-8000-0000000000c1', '2026-03-01 10:00:00+00', true, 'room-1', '{}', true, 0, '00000000-0000-4000-8000-0000000000f2');
INSERT INTO app_session (id, created_at, is_active, constraints, platform, metadata, geo_ip, session_info, duration, conference_id, participant_id) VALUES
  ('00000000-0000-4000-8000-0000000005a1', '2026-03-01 10:00:00+00', true, '{}', '{}', '{}', '{}', '{}', 0, '00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-00000000000a'),
  ('00000000-0000-4000-8000-0000000005b1', '2026-03-01 10:00:00+00', true, '{}', '{}', '{}', '{}', '{}', 0, '00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-00000000000b');
INSERT INTO app_connection (id, created_at, is_active, type, connection_info, duration, session_id, conference_id, participant_id, peer_id) VALUES
  ('00000000-0000-4000-8000-000000000ca1', '2026-03-01 10:00:01+00', true, 'h', '{}', 0, '00000000-0000-4000-8000-0000000005a1', '00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-00000000000a', '00000000-0000-4000-8000-00000000000b'),
  ('00000000-0000-4000-8000-000000000cb1', '2026-03-01 10:00:01+00', true, 'h', '{}', 0, '00000000-0000-4000-8000-0000000005b1', '00000000-0000-4000-8000-0000000000c1', '00000000-0000-4000-8000-00000000000b', '00000000-0000-4000-8000-00000000000a');
`

func handStats(id, conn, sess, part, at, data string) string {
	return fmt.Sprintf(`INSERT INTO app_genericevent (id, created_at, is_active, type, category, data, app_id, conference_id, participant_id, session_id, connection_id)
  VALUES ('%s', '%s', true, 'stats', 'S', '%s', '00000000-0000-4000-8000-0000000000f2', '00000000-0000-4000-8000-0000000000c1', '%s', '%s', '%s');
`, id, at, data, part, sess, conn)
}

// TestQualityHandBuilt checks the quality numbers on hand-built stats rows.
//
// Alice's connection, stream IA (remote-inbound RTT reported; no header bytes):
//
//	t0 10:00:10  recv 1000 lost  0 bytes 100000 jbDelay  4800 s emitted  96000 jitter 0.010 rtt 0.1
//	t1 10:00:20  recv 1450 lost 50 bytes 140000 jbDelay  9600 s emitted 192000 jitter 0.020 rtt 0.1
//	t2 10:00:30  recv 1950 lost 50 bytes 180000 jbDelay 14400 s emitted 288000 jitter 0.010 rtt 0.3
//	(jitterBufferDelay is the sum over emitted audio samples, 48000 a second: 50 ms each)
//
//	t1: loss 50/(50+450) = 10 %, bitrate 40000·8/10 = 32000 bps, jitter buffer 4800/96000 s = 50 ms,
//	    RTT 100 ms, jitter 20 ms. eMOS: d = 20+50+50 = 120, Ie = 55 − 4.6·ln 32000 = 7.281941,
//	    Ipl = 7.281941 + 92.718059·10/20 = 53.640971, Id = 3.6, R = 42.759029,
//	    MOS = 1 + 0.035R + 7e-6·R(R−60)(100−R) = 1 + 1.496566 − 0.295390 = 2.201177.
//	t2: loss 0 %, 32000 bps, 50 ms, RTT 300 ms, jitter 10 ms. d = 220, Id = 6.6 + 7 = 13.6,
//	    R = 100 − 7.281941 − 13.6 = 79.118059, MOS = 1 + 2.769132 + 0.221100 = 3.990232.
//	t0: no previous sample → no loss, no MOS; RTT 100 ms and jitter 10 ms are instantaneous.
//
// Bob's connection, stream IB (no remote-inbound: RTT from the pair, ΔtotalRoundTripTime/Δresponses):
//
//	t0  recv 2000 lost 0 bytes 200000 jitter 0.005 pair totalRTT 1.0 responses 10
//	t1  recv 2500 lost 0 bytes 240000 jitter 0.005 pair totalRTT 1.4 responses 20
//	t2  recv 2500 lost 0 bytes 240000 jitter 0.005 pair totalRTT 1.8 responses 30 (stalled stream)
//	t3  recv  100 lost 0 bytes  10000 jitter 0.005 pair totalRTT 2.2 responses 40 (counter reset)
//
//	t0: no pair delta, no currentRoundTripTime → RTT null. t1: loss 0 %, RTT 0.4/10 = 40 ms,
//	    32000 bps, jitter buffer 0 (not reported) → d = 20+0+20 = 40, Id = 1.2, R = 100 − 7.281941 − 1.2
//	    = 91.518059, MOS = 1 + 3.203132 + 7e-6·91.518059·31.518059·8.481941 = 4.374393.
//	t2: nothing expected (Δ = 0) → loss null, MOS null; RTT 40 ms. t3: reset → loss null; RTT 40 ms.
//
// One bucket holds every sample (8 stream samples):
//
//	loss  {0, 0, 10}                 p50 0, p95 = 0 + 0.9·10 = 9 (percentile_cont at 0.95·2 = 1.9)
//	RTT   {40, 40, 40, 100, 100, 300} p50 = 40 + 0.5·60 = 70, p95 at 4.75: 100 + 0.75·200 = 250
//	jitter{5, 5, 5, 5, 10, 10, 20}    p50 5, p95 at 5.7: 10 + 0.7·10 = 17
//	MOS   {2.201177, 3.990232, 4.374393} p50 3.990232, p5 at 0.1: 2.201177 + 0.1·1.789055 = 2.380082
//	sessions 2, poor 1 (Alice: loss 10 % > 5 % and MOS 2.2 < 3.5) → 50 %.
func TestQualityHandBuilt(t *testing.T) {
	pool := handPool(t, handQualityRows())
	st := store.New(pool, store.Scope{}, defaultThresholds)
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	q := parseQ(t, query.TypeQuality, `{}`, from, from.Add(24*time.Hour), time.Hour)
	bs, sql, args, err := st.QualityBuckets(context.Background(), q, time.Hour)
	if err != nil {
		t.Fatalf("%v\n%s\n%v", err, sql, args)
	}
	if len(bs) != 1 {
		t.Fatalf("%d buckets, want 1", len(bs))
	}
	got := bs[0]
	want := map[string][2]any{
		"lossP50": {got.LossP50, 0.0}, "lossP95": {got.LossP95, 9.0},
		"rttP50": {got.RTTP50, 70.0}, "rttP95": {got.RTTP95, 250.0},
		"jitterP50": {got.JitterP50, 5.0}, "jitterP95": {got.JitterP95, 17.0},
		"mosP50": {got.MOSP50, 3.990232}, "mosP5": {got.MOSP5, 2.380082},
		"poorSessionsPct": {got.PoorSessionsPct, 50.0},
	}
	for name, w := range want {
		g := w[0].(*float64)
		if g == nil || math.Abs(*g-w[1].(float64)) > 1e-5 {
			t.Errorf("%s = %s, want %v", name, fmtP(g), w[1])
		}
	}
	// Alice 3 samples, Bob 4 (the two malformed rows have no readable inbound audio, the
	// "garbage" one still has an id: it counts as a sample without values).
	if got.Samples != 8 || got.Sessions != 2 || got.PoorSessions != 1 {
		t.Errorf("samples %d sessions %d poor %d", got.Samples, got.Sessions, got.PoorSessions)
	}
	if !got.Time.Equal(from.Add(10 * time.Hour)) {
		t.Errorf("bucket at %v", got.Time)
	}
	mos, loss, rtt, jit, _, _, err := st.QualityPercentiles(context.Background(), q)
	if err != nil || !sameF(mos, got.MOSP50) || !sameF(loss, got.LossP95) || !sameF(rtt, got.RTTP95) || !sameF(jit, got.JitterP95) {
		t.Errorf("QualityPercentiles = %s %s %s %s, %v", fmtP(mos), fmtP(loss), fmtP(rtt), fmtP(jit), err)
	}
	// The same rows through connectionStats: Bob's reset is a null, the malformed row is counted.
	cs, err := st.ConnectionStats(context.Background(), parseQ(t, query.TypeConnectionStats, `{"connectionId":"`+hKB+`"}`, from, from.Add(24*time.Hour), 0), store.SourceAuto)
	if err != nil {
		t.Fatal(err)
	}
	if len(cs) != 1 || cs[0].Fields[1].Labels["participant"] != "bob" || cs[0].Fields[1].Labels["peer"] != "Alice" {
		t.Fatalf("frames %d labels %v", len(cs), cs[0].Fields[1].Labels)
	}
	if n := noticeText(cs[0]); !strings.Contains(n, "1 malformed") {
		t.Errorf("notice %q, want 1 malformed row", n)
	}
	f := cs[0]
	for i := 0; i < f.Rows(); i++ {
		ti := f.Fields[0].At(i).(time.Time)
		if ti.Equal(from.Add(10*time.Hour + 40*time.Second)) {
			if v := fieldF(f, "bitrate", i); v != nil {
				t.Errorf("bitrate across the reset = %v, want null", *v)
			}
		}
		if ti.Equal(from.Add(10*time.Hour + 20*time.Second)) {
			if v := fieldF(f, "mos", i); v == nil || math.Abs(*v-4.374393) > 1e-5 {
				t.Errorf("Bob's MOS at t1 = %s, want 4.374393", fmtP(v))
			}
		}
	}
}

// TestDerivedIssueHysteresis checks 3-of-5 on and 3-of-5 off on a hand-built loss sequence
// (threshold 5 %; B = breach, . = below):
//
//	i     0  1  2  3  4  5  6  7  8  9  10 11 12 13
//	loss  9  1  1  9  1  9  9  1  9  1  1  1  9  1
//	      B  .  .  B  .  B  B  .  B  .  .  .  B  .
//
// i=3..5: windows hold 2 breaches → nothing starts. i=6: window 2–6 = . B . B B → 3 breaches → on
// at i=6. i=7..9: windows 3–7, 4–8, 5–9 hold 2 below each → still on. i=10: window 6–10 = B . B . .
// → 3 below → off at i=10. i=12: window 8–12 = B . . . B → 2 breaches → stays off.
// One episode [6, 10): from 60 s to 100 s after the first sample, worst 9 %.
func TestDerivedIssueHysteresis(t *testing.T) {
	base := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	loss := []float64{9, 1, 1, 9, 1, 9, 9, 1, 9, 1, 1, 1, 9, 1}
	var pts []webrtcstats.Point
	for i, v := range loss {
		v := v
		pts = append(pts, webrtcstats.Point{Time: base.Add(time.Duration(i) * 10 * time.Second), LossPct: &v})
	}
	series := []webrtcstats.Series{{Key: webrtcstats.SeriesKey{Kind: webrtcstats.Audio, Direction: webrtcstats.Inbound, ID: "A"}, Points: pts}}
	got := store.DetectDerived(series, defaultThresholds)
	if len(got) != 1 {
		t.Fatalf("%d episodes, want 1: %+v", len(got), got)
	}
	d := got[0]
	if d.Code != store.DerivedHighPacketLoss || d.Severity != "warning" || d.Source != "derived" ||
		!d.Time.Equal(base.Add(60*time.Second)) || d.End == nil || !d.End.Equal(base.Add(100*time.Second)) || d.Worst != 9 {
		t.Errorf("episode %+v", d)
	}
	// Still breaching at the end: open episode. Loss 9 9 9 → on at i=2, End nil.
	v := 9.0
	open := []webrtcstats.Series{{Key: series[0].Key, Points: []webrtcstats.Point{{Time: base, LossPct: &v}, {Time: base.Add(10 * time.Second), LossPct: &v}, {Time: base.Add(20 * time.Second), LossPct: &v}}}}
	if got := store.DetectDerived(open, defaultThresholds); len(got) != 1 || got[0].End != nil || !got[0].Time.Equal(base.Add(20*time.Second)) {
		t.Errorf("open episode %+v", got)
	}
	// Low MOS uses "below", and two streams with overlapping RTT episodes merge into one.
	lo, hi := 2.0, 4.5
	mos := []webrtcstats.Point{{Time: base, MOS: &lo}, {Time: base.Add(10 * time.Second), MOS: &hi}, {Time: base.Add(20 * time.Second), MOS: &lo}, {Time: base.Add(30 * time.Second), MOS: &lo}}
	if got := store.DetectDerived([]webrtcstats.Series{{Key: series[0].Key, Points: mos}}, defaultThresholds); len(got) != 1 || got[0].Code != store.DerivedLowMOS || got[0].Worst != 2 {
		t.Errorf("low mos %+v", got)
	}
	r := 500.0
	rtt := func(off time.Duration) []webrtcstats.Point {
		var p []webrtcstats.Point
		for i := 0; i < 4; i++ {
			p = append(p, webrtcstats.Point{Time: base.Add(off + time.Duration(i)*10*time.Second), RttMs: &r})
		}
		return p
	}
	two := []webrtcstats.Series{{Key: webrtcstats.SeriesKey{Kind: webrtcstats.Audio, Direction: webrtcstats.Inbound, ID: "A"}, Points: rtt(0)},
		{Key: webrtcstats.SeriesKey{Kind: webrtcstats.Video, Direction: webrtcstats.Inbound, ID: "V"}, Points: rtt(time.Second)}}
	if got := store.DetectDerived(two, defaultThresholds); len(got) != 1 || len(got[0].Streams) != 2 {
		t.Errorf("merged rtt %+v", got)
	}
}

// derivedIssuesTiny finds derived issues on the tiny profile, whose generator gives some
// connections lossy, very lossy or high-RTT quality.
func derivedIssuesTiny(t *testing.T, pool *pgxpool.Pool) {
	ctx := context.Background()
	st := store.New(pool, store.Scope{}, defaultThresholds)
	end := seed.TinyEnd
	from, to := end.Add(-3*24*time.Hour), end
	// Ongoing conferences have raw rows; find the derived issues of all of them.
	rows, err := pool.Query(ctx, `SELECT id::text FROM conference WHERE ongoing AND is_active ORDER BY created_at`)
	if err != nil {
		t.Fatal(err)
	}
	var confs []string
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		confs = append(confs, id)
	}
	rows.Close()
	// and a few ended ones (summary)
	rows, err = pool.Query(ctx, `SELECT id::text FROM conference WHERE NOT ongoing AND is_active ORDER BY created_at LIMIT 30`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id string
		_ = rows.Scan(&id)
		confs = append(confs, id)
	}
	rows.Close()
	codes := map[string]int{}
	for _, c := range confs {
		ds, err := st.DerivedIssues(ctx, parseQ(t, query.TypeIssues, `{"conferenceId":"`+c+`"}`, from, to, 0))
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range ds {
			codes[d.Code]++
			if d.ConnectionID == "" || d.Text == "" || d.Title == "" || d.Source != "derived" {
				t.Errorf("incomplete %+v", d)
			}
			if d.End != nil && !d.End.After(d.Time) {
				t.Errorf("episode ends before it starts: %+v", d)
			}
		}
	}
	t.Logf("derived issues over %d conferences: %v", len(confs), codes)
	if codes[store.DerivedHighPacketLoss] == 0 || codes[store.DerivedHighRTT] == 0 {
		t.Errorf("want high_packet_loss and high_rtt among %v", codes)
	}
	// No entity: no fleet-wide derivation.
	if ds, err := st.DerivedIssues(ctx, parseQ(t, query.TypeIssueSummary, `{}`, from, to, 0)); err != nil || ds != nil {
		t.Errorf("fleet derived issues %v %v", ds, err)
	}
}

// ---- benchmarks (PM_BENCH=1) ----

// benchOngoing writes one ongoing LiveKit-style conference of ten participants, one hour long: each
// participant has a publisher connection (audio + video out) and a subscriber connection (the other
// nine participants' audio + video in), polled every 10 s: 20 connections, 7,200 main stats rows.
func benchOngoing(b *testing.B, pool *pgxpool.Pool) string {
	b.Helper()
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	conf := "00000000-0000-4000-8000-0000000000c9"
	sql := strings.ReplaceAll(strings.ReplaceAll(handFixture, "0000000000c1", "0000000000c9"), "room-1", "room-bench")
	sql = sql[:strings.Index(sql, "INSERT INTO participant")] // org and app only
	exec(b, pool, sql)
	exec(b, pool, `INSERT INTO participant VALUES
  ('00000000-0000-4000-8000-0000000001f0', '2026-01-01', true, 'livekit-sfu-server-outbound', NULL, true, '00000000-0000-4000-8000-0000000000f2'),
  ('00000000-0000-4000-8000-0000000001f1', '2026-01-01', true, 'livekit-sfu-server-inbound', NULL, true, '00000000-0000-4000-8000-0000000000f2')`)
	exec(b, pool, `INSERT INTO conference (id, created_at, is_active, conference_id, conference_info, ongoing, duration, app_id)
  VALUES ($1, $2, true, 'bench', '{}', true, 0, '00000000-0000-4000-8000-0000000000f2')`, conf, start)
	id := func(kind, i int) string { return fmt.Sprintf("00000000-0000-4000-8%03d-%012d", kind, i) }
	for p := 0; p < 10; p++ {
		exec(b, pool, `INSERT INTO participant VALUES ($1, '2026-01-01', true, $2, $3, false, '00000000-0000-4000-8000-0000000000f2')`,
			id(1, p), fmt.Sprintf("user-%d", p), fmt.Sprintf("User %d", p))
		exec(b, pool, `INSERT INTO app_session (id, created_at, is_active, constraints, platform, metadata, geo_ip, session_info, duration, conference_id, participant_id)
  VALUES ($1, $2, true, '{}', '{}', '{}', '{}', '{}', 0, $3, $4)`, id(2, p), start, conf, id(1, p))
		for k, peer := range []string{"00000000-0000-4000-8000-0000000001f0", "00000000-0000-4000-8000-0000000001f1"} {
			exec(b, pool, `INSERT INTO app_connection (id, created_at, is_active, type, connection_info, duration, session_id, conference_id, participant_id, peer_id)
  VALUES ($1, $2, true, 'h', '{}', 0, $3, $4, $5, $6)`, id(3, p*2+k), start, id(2, p), conf, id(1, p), peer)
		}
	}
	// stats rows through COPY-free batched inserts: one INSERT ... SELECT per connection
	for p := 0; p < 10; p++ {
		// publisher: audio + video out with remote-inbound reports
		pub := `jsonb_build_object('connection', jsonb_build_object('id', 'CP', 'totalRoundTripTime', k * 0.5, 'responsesReceived', k * 5),
  'remote', jsonb_build_object('audio', jsonb_build_object('inbound', jsonb_build_array(jsonb_build_object('localId', 'OA', 'roundTripTime', 0.05, 'jitter', 0.004, 'packetsLost', k, 'fractionLost', 0.01))),
                               'video', jsonb_build_object('inbound', jsonb_build_array(jsonb_build_object('localId', 'OV', 'roundTripTime', 0.05, 'jitter', 0.004, 'packetsLost', k * 2, 'fractionLost', 0.01)))),
  'audio', jsonb_build_object('inbound', '[]'::jsonb, 'outbound', jsonb_build_array(jsonb_build_object('id', 'OA', 'packetsSent', k * 500, 'bytesSent', k * 40000, 'headerBytesSent', k * 14000))),
  'video', jsonb_build_object('inbound', '[]'::jsonb, 'outbound', jsonb_build_array(jsonb_build_object('id', 'OV', 'packetsSent', k * 1200, 'bytesSent', k * 1500000, 'framesSent', k * 300, 'frameHeight', 720)))
)`
		sub := `jsonb_build_object('connection', jsonb_build_object('id', 'CS', 'totalRoundTripTime', k * 0.5, 'responsesReceived', k * 5),
  'remote', '{}'::jsonb,
  'audio', jsonb_build_object('inbound', (SELECT jsonb_agg(jsonb_build_object('id', 'IA' || j, 'packetsReceived', k * 495, 'packetsLost', k * 5, 'bytesReceived', k * 40000,
      'jitter', 0.01, 'jitterBufferDelay', k * 4.8, 'jitterBufferEmittedCount', k * 96000)) FROM generate_series(1, 9) j), 'outbound', '[]'::jsonb),
  'video', jsonb_build_object('inbound', (SELECT jsonb_agg(jsonb_build_object('id', 'IV' || j, 'packetsReceived', k * 1190, 'packetsLost', k * 10, 'bytesReceived', k * 1500000,
      'jitter', 0.02, 'framesDecoded', k * 300, 'frameHeight', 720)) FROM generate_series(1, 9) j), 'outbound', '[]'::jsonb)
)`
		for k, js := range []string{pub, sub} {
			exec(b, pool, `INSERT INTO app_genericevent (id, created_at, is_active, type, category, data, app_id, conference_id, participant_id, session_id, connection_id)
SELECT gen_random_uuid(), $1::timestamptz + k * interval '10 seconds', true, 'stats', 'S', `+js+`,
  '00000000-0000-4000-8000-0000000000f2', $2, $3, $4, $5
FROM generate_series(1, 360) k`, start, conf, id(1, p), id(2, p), id(3, p*2+k))
		}
	}
	exec(b, pool, "ANALYZE")
	return conf
}

func benchSkip(b *testing.B) {
	if os.Getenv("PM_BENCH") != "1" {
		b.Skip("set PM_BENCH=1 to run the benchmarks")
	}
}

// BenchmarkConnectionStatsOngoing: connectionStats of a one-hour, ten-participant ongoing
// conference (20 connections, 7,200 raw stats rows), the whole conference in one query.
func BenchmarkConnectionStatsOngoing(b *testing.B) {
	benchSkip(b)
	db := testdb.New(b)
	pool, err := pgxpool.New(context.Background(), db.URL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	conf := benchOngoing(b, pool)
	st := store.New(pool, store.Scope{}, defaultThresholds)
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	q := parseQ(b, query.TypeConnectionStats, `{"conferenceId":"`+conf+`"}`, start, start.Add(61*time.Minute), 0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		fs, err := st.ConnectionStats(context.Background(), q, store.SourceAuto)
		if err != nil {
			b.Fatal(err)
		}
		if len(fs) != 10*2+10*18 {
			b.Fatalf("%d frames, want 200", len(fs))
		}
	}
}

// BenchmarkQuality30Days: the quality query over 30 days at a 1-day step on a database generated
// with the seed30 profile (or any other), given by PM_BENCH_DB (a postgres URL); the range ends at
// PM_BENCH_END (RFC 3339, default the latest conference).
func BenchmarkQuality30Days(b *testing.B) {
	benchSkip(b)
	url := os.Getenv("PM_BENCH_DB")
	if url == "" {
		b.Skip("set PM_BENCH_DB to a database generated with pmseed -profile seed30")
	}
	pool, err := pgxpool.New(context.Background(), url)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	var end time.Time
	if e := os.Getenv("PM_BENCH_END"); e != "" {
		end, _ = time.Parse(time.RFC3339, e)
	} else if err := pool.QueryRow(context.Background(), `SELECT max(created_at) FROM conference`).Scan(&end); err != nil {
		b.Fatal(err)
	}
	end = end.Truncate(24 * time.Hour).Add(24 * time.Hour)
	st := store.New(pool, store.Scope{}, defaultThresholds)
	q := parseQ(b, query.TypeQuality, `{}`, end.Add(-30*24*time.Hour), end, 24*time.Hour)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		bs, _, _, err := st.QualityBuckets(context.Background(), q, 24*time.Hour)
		if err != nil {
			b.Fatal(err)
		}
		var n int64
		for _, x := range bs {
			n += x.Samples
		}
		b.ReportMetric(float64(n), "samples")
	}
}
