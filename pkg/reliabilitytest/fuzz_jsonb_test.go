package reliabilitytest

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5"

	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/settings"
	"github.com/peermetrics/grafana-datasource/pkg/store"
)

// FuzzJSONBReaders: the negotiations (connection_info), getUserMedia error data (app_issue.data,
// getDisplayMedia events), session JSON (platform, geo_ip, metadata, devices) and stats events are
// read in SQL by the store. Any JSON the SDK or an old API version might have stored goes into every
// one of those columns of the fixture, inside a transaction that is rolled back, and every query type
// that reads them must answer without a SQL error (a cast or a jsonb function failing on an
// unexpected shape would fail the whole panel). `go test` runs the seeds; longer:
// `go test -fuzz FuzzJSONBReaders -fuzztime 5m ./pkg/reliabilitytest/`.
func FuzzJSONBReaders(f *testing.F) {
	for _, s := range []string{
		`null`, `{}`, `[]`, `"x"`, `1`, `true`, `{"negotiations":"broken"}`, `{"negotiations":[null,1,"a",[]]}`,
		`{"negotiations":[{"status":"connected","start_time":"2026-13-01T00:00:00Z","end_time":"x"}]}`,
		`{"negotiations":[{"status":"connected","start_time":"2026-02-30T10:00:00Z","end_time":"2026-02-30T10:00:01Z"}]}`,
		`{"negotiations":[{"status":"connected","start_time":"9999-12-31T23:59:59Z","end_time":"0001-01-01T00:00:00Z"}]}`,
		`{"negotiations":[{"status":"connected","start_time":"0000-01-01T00:00:00Z","end_time":"2026-11-01T10:00:00+99"}]}`,
		`{"negotiations":[{"status":"connected","start_time":"2100-02-29T00:00:00Z","end_time":"2026-11-01T10:00:00+15:59"}]}`,
		`{"negotiations":[{"status":["failed"],"start_time":1,"end_time":{}}]}`,
		`{"name":"NotAllowedError","message":null}`, `{"name":{"x":1}}`, `{"name":""}`, `{"error":{"name":7,"message":[]}}`,
		`{"browser":"Chrome","os":{"name":null}}`, `{"browser":{"name":["a"]},"os":"x"}`,
		`{"country_code":5,"city":{"name":1},"latitude":"north","longitude":1e400}`,
		`{"latitude":91.5,"longitude":-200,"country_code":"' OR 1=1 --"}`,
		`{"connection":{"id":"CP","currentRoundTripTime":"fast"},"audio":{"inbound":"none"}}`,
		`{"audio":{"inbound":[{"id":"a","bytesReceived":"1e999","packetsLost":"-x"}]}}`,
		`{"type":"stats","data":[[[]]]}`, `{"a":"\u00e9\ud83d\ude00"}`, `"2026-11-01T10:00:00Z"`,
	} {
		f.Add(s)
	}
	db := fixtureDB(f)
	ctx := context.Background()
	conn := connect(f, db.URL)
	types := []string{"overview", "conferenceStatus", "issueSummary", "gumErrors", "durationHistogram",
		"setupTimeHistogram", "connectionTypes", "quality", "funnel", "annotations", "conferences"}
	var qs []query.Query
	parse := func(js string) {
		qq, err := query.Parse(backend.DataQuery{RefID: "A", JSON: []byte(js), Interval: time.Hour,
			TimeRange: backend.TimeRange{From: fixFrom, To: fixTo}})
		if err != nil {
			f.Fatalf("%s: %v", js, err)
		}
		qs = append(qs, qq)
	}
	for _, qt := range types {
		parse(`{"queryType":"` + qt + `"}`)
	}
	for _, g := range query.GroupBys {
		parse(`{"queryType":"breakdown","groupBy":"` + g + `"}`)
	}
	for _, qt := range []string{"participants", "sessions", "connections", "issues", "events", "connectionStats"} {
		parse(`{"queryType":"` + qt + `","conferenceId":"` + conf1 + `"}`)
	}
	for _, v := range query.VariableKinds {
		parse(`{"queryType":"variable","variable":"` + v + `"}`)
	}
	parse(`{"queryType":"timeseries","metric":"sessions","groupBy":"country"}`)
	th := settings.Thresholds{LossPct: 5, RTTMs: 400, JitterMs: 30, MOS: 3.5}
	f.Fuzz(func(t *testing.T, doc string) {
		if !utf8.ValidString(doc) {
			t.Skip("not UTF-8: the API stores UTF-8 only")
		}
		if !json.Valid([]byte(doc)) {
			b, _ := json.Marshal(doc) // not JSON: store it as a JSON string, as a text column would
			doc = string(b)
		}
		tx, err := conn.Begin(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer func() { _ = tx.Rollback(ctx) }()
		setup := []string{
			`UPDATE app_connection SET connection_info = $1::jsonb`,
			`UPDATE app_connection SET connection_info = jsonb_build_object('negotiations', jsonb_build_array($1::jsonb)) WHERE id = '` + conn1 + `'`,
			`UPDATE app_issue SET data = $1::jsonb WHERE code = 'getusermedia_error'`,
			`UPDATE app_session SET platform = $1::jsonb, geo_ip = $1::jsonb, metadata = $1::jsonb, devices = $1::jsonb, session_info = $1::jsonb, constraints = $1::jsonb WHERE id = '` + sess1 + `'`,
			`INSERT INTO app_genericevent (id, created_at, is_active, category, type, data, app_id, conference_id, participant_id, session_id, connection_id)
			 SELECT gen_random_uuid(), '2026-11-01 10:00:30Z', true, x.cat, x.typ, x.d, c.app_id, c.id, s.participant_id, s.id, '` + conn1 + `'
			 FROM conference c JOIN app_session s ON s.conference_id = c.id,
			 (VALUES ('M', 'getDisplayMedia', jsonb_build_object('error', $1::jsonb)), ('S', 'stats', $1::jsonb),
			         ('S', 'stats', jsonb_build_object('audio', jsonb_build_object('inbound', jsonb_build_array($1::jsonb)))),
			         ('C', 'onconnectionstatechange', $1::jsonb), ('B', 'getUserMedia', $1::jsonb)) AS x(cat, typ, d)
			 WHERE s.id = '` + sess1 + `'`,
		}
		for _, sql := range setup {
			if _, err := tx.Exec(ctx, sql, doc); err != nil {
				if strings.Contains(err.Error(), "22P05") || strings.Contains(err.Error(), "22P02") || strings.Contains(err.Error(), "2202E") || strings.Contains(err.Error(), "22021") {
					t.Skipf("PostgreSQL does not store this JSON: %v", err) // e.g. \u0000, which the API cannot store either
				}
				t.Fatalf("setup %q: %v", sql[:40], err)
			}
		}
		for _, scope := range []store.Scope{{}, {AppIDs: []string{app1}}} {
			st := store.New(&serialDB{tx: tx}, scope, th)
			for _, qq := range qs {
				if _, err := st.Run(ctx, qq); err != nil {
					if strings.Contains(err.Error(), "not implemented") {
						continue
					}
					t.Fatalf("%s with %s: %v", qq.QueryType, doc, err)
				}
			}
		}
	})
}

// serialDB runs the store's statements one at a time on a transaction (one connection), which
// cannot run two at once as the pool the plugin uses can: a statement holds it until its rows are
// closed or its row scanned.
type serialDB struct {
	mu sync.Mutex
	tx pgx.Tx
}

func (s *serialDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	s.mu.Lock()
	rows, err := s.tx.Query(ctx, sql, args...)
	if err != nil {
		s.mu.Unlock()
		return nil, err
	}
	return &serialRows{Rows: rows, unlock: s.mu.Unlock}, nil
}

func (s *serialDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	s.mu.Lock()
	return serialRow{row: s.tx.QueryRow(ctx, sql, args...), unlock: s.mu.Unlock}
}

type serialRows struct {
	pgx.Rows
	once   sync.Once
	unlock func()
}

func (r *serialRows) Close() {
	r.Rows.Close()
	r.once.Do(r.unlock)
}

func (r *serialRows) Next() bool {
	if r.Rows.Next() {
		return true
	}
	r.Close()
	return false
}

type serialRow struct {
	row    pgx.Row
	unlock func()
}

func (r serialRow) Scan(dest ...any) error {
	defer r.unlock()
	return r.row.Scan(dest...)
}
