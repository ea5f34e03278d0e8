package reliabilitytest

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// baseQueries is one valid query per query type on the fixture (SPEC §3); the bad-input tests
// change one field at a time.
var baseQueries = map[string]map[string]any{
	"overview":             {},
	"conferenceStatus":     {},
	"timeseries":           {"metric": "conferences"},
	"issueSummary":         {},
	"gumErrors":            {},
	"durationHistogram":    {},
	"participantHistogram": {},
	"setupTimeHistogram":   {},
	"connectionTypes":      {},
	"breakdown":            {"groupBy": "browser"},
	"conferences":          {},
	"participants":         {"conferenceId": conf1},
	"sessions":             {"conferenceId": conf1},
	"connections":          {"conferenceId": conf1},
	"issues":               {"conferenceId": conf1},
	"events":               {"conferenceId": conf1},
	"connectionStats":      {"conferenceId": conf1},
	"quality":              {},
	"funnel":               {},
	"annotations":          {},
	"variable":             {"variable": "browsers"},
}

func queryJSON(t testing.TB, queryType string, base map[string]any, set map[string]any) string {
	t.Helper()
	m := map[string]any{"queryType": queryType}
	maps.Copy(m, base)
	for k, v := range set {
		if f, ok := strings.CutPrefix(k, "filters."); ok {
			fl := map[string]any{f: v}
			m["filters"] = fl
			continue
		}
		m[k] = v
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestBadInputEachRefIDAloneGets400 sends every kind of bad query in ONE request next to good ones:
// each bad RefID gets a 400 with error source downstream and a message naming the problem, and
// the good RefIDs of the same request answer normally.
func TestBadInputEachRefIDAloneGets400(t *testing.T) {
	db := fixtureDB(t)
	p := startPlugin(t)
	s := sharedDS(db.Name, nil)
	from, to := fixFrom, fixTo
	long := strings.Repeat("x", 65)
	bad := []struct {
		ref, json, qt string
		from, to      time.Time
		want          string
	}{
		{ref: "json-trunc", json: `{"queryType": "overview", `, want: "not valid JSON"},
		{ref: "json-garbage", json: `}{`, want: "not valid JSON"},
		{ref: "json-array", json: `[1,2,3]`, want: "not valid JSON"},
		{ref: "json-string", json: `"overview"`, want: "not valid JSON"},
		{ref: "json-null", json: `null`, want: "queryType is missing"},
		{ref: "type-number", json: `{"queryType": 5}`, want: `"queryType"`},
		{ref: "type-appid-number", json: `{"queryType": "overview", "appId": 7}`, want: `"appId"`},
		{ref: "type-limit-string", json: `{"queryType": "conferences", "limit": "many"}`, want: "limit must be a number"},
		{ref: "type-limit-bool", json: `{"queryType": "conferences", "limit": true}`, want: "limit must be a number"},
		{ref: "type-limit-fraction", json: `{"queryType": "conferences", "limit": 1.5}`, want: "whole number"},
		{ref: "type-filters-array", json: `{"queryType": "overview", "filters": [1]}`, want: "filters must be an object"},
		{ref: "type-filter-object", json: `{"queryType": "overview", "filters": {"browser": {"x": 1}}}`, want: "filters.browser"},
		{ref: "type-filter-bool-list", json: `{"queryType": "overview", "filters": {"os": [true]}}`, want: "filters.os"},
		{ref: "type-duration-string", json: `{"queryType": "overview", "filters": {"durationMinSeconds": "long"}}`, want: "durationMinSeconds"},
		{ref: "type-search-number", json: `{"queryType": "conferences", "filters": {"search": 12}}`, want: "filters.search must be a string"},
		{ref: "unknown-type", json: `{"queryType": "nope"}`, want: `unknown queryType "nope"`},
		{ref: "missing-type", json: `{}`, want: "queryType is missing"},
		{ref: "type-mismatch", json: `{"queryType": "overview"}`, qt: "conferences", want: "disagrees"},
		{ref: "unknown-metric", json: `{"queryType": "timeseries", "metric": "bogus"}`, want: `unknown metric "bogus"`},
		{ref: "missing-metric", json: `{"queryType": "timeseries"}`, want: "timeseries needs a metric"},
		{ref: "unknown-overview-metric", json: `{"queryType": "overview", "metric": "bogus"}`, want: `unknown overview metric "bogus"`},
		{ref: "unknown-groupby", json: `{"queryType": "breakdown", "groupBy": "browser; DROP TABLE app"}`, want: "unknown groupBy"},
		{ref: "missing-groupby", json: `{"queryType": "breakdown"}`, want: "breakdown needs a groupBy"},
		{ref: "unknown-variable", json: `{"queryType": "variable", "variable": "passwords"}`, want: "variable must be one of"},
		{ref: "unknown-filter", json: `{"queryType": "overview", "filters": {"password": ["x"]}}`, want: `unknown filter "password"`},
		{ref: "unknown-status", json: `{"queryType": "conferences", "filters": {"status": ["hacked"]}}`, want: `unknown status "hacked"`},
		{ref: "bad-appid", json: `{"queryType": "overview", "appId": "not-a-uuid"}`, want: "appId \"not-a-uuid\" is not a uuid"},
		{ref: "bad-sessionid", json: `{"queryType": "sessions", "sessionId": "1 OR 1=1"}`, want: "sessionId \"1 or 1=1\" is not a uuid"},
		{ref: "bad-connectionid", json: `{"queryType": "connectionStats", "connectionId": "e01"}`, want: "connectionId \"e01\" is not a uuid"},
		{ref: "long-conferenceid", json: `{"queryType": "participants", "conferenceId": "` + long + `"}`, want: "longer than 64"},
		{ref: "long-search", json: `{"queryType": "conferences", "filters": {"search": "` + strings.Repeat("y", 201) + `"}}`, want: "at most 200"},
		{ref: "no-target", json: `{"queryType": "participants"}`, want: "needs a conferenceId"},
		{ref: "duration-reversed", json: `{"queryType": "conferences", "filters": {"durationMinSeconds": 10, "durationMaxSeconds": 5}}`, want: "greater than"},
		{ref: "limit-huge", json: `{"queryType": "conferences", "limit": 1000000000}`, want: "limit must be between 1 and 10000"},
		{ref: "limit-enormous", json: `{"queryType": "conferences", "limit": 1e300}`, want: "whole number"},
		{ref: "limit-zero", json: `{"queryType": "conferences", "limit": 0}`, want: "limit must be between 1 and 10000"},
		{ref: "limit-negative", json: `{"queryType": "conferences", "limit": -5}`, want: "limit must be between 1 and 10000"},
		{ref: "limit-over", json: `{"queryType": "conferences", "limit": 10001}`, want: "limit must be between 1 and 10000"},
		{ref: "offset-negative", json: `{"queryType": "conferences", "offset": -1}`, want: "offset must not be negative"},
		{ref: "offset-huge", json: `{"queryType": "conferences", "offset": 99999999}`, want: "offset must be at most"},
		{ref: "range-reversed", json: `{"queryType": "overview"}`, from: to, to: from, want: "reversed"},
		{ref: "range-empty", json: `{"queryType": "overview"}`, from: from, to: from, want: "reversed"},
		{ref: "range-zero", json: `{"queryType": "overview"}`, from: time.Time{}, to: time.Time{}, want: "reversed"},
		{ref: "range-enormous", json: `{"queryType": "overview"}`, from: time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC),
			to: time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC), want: "longer than 5 years"},
	}
	var qs []q
	for _, b := range bad {
		f, tt := from, to
		if b.want == "reversed" || b.want == "longer than 5 years" {
			f, tt = b.from, b.to
		}
		qs = append(qs, q{RefID: b.ref, QueryType: b.qt, JSON: b.json, From: f, To: tt})
	}
	good := []q{
		{RefID: "good-overview", JSON: `{"queryType": "overview"}`, From: from, To: to},
		{RefID: "good-conferences", JSON: `{"queryType": "conferences", "limit": 10000, "offset": 0}`, From: from, To: to},
		{RefID: "good-limit-string", JSON: `{"queryType": "conferences", "limit": "2"}`, From: from, To: to},
	}
	res := p.query(t, s, append(qs, good...)...)
	for _, b := range bad {
		r, ok := res.Responses[b.ref]
		if !ok {
			t.Errorf("%s: no response", b.ref)
			continue
		}
		if r.Error == nil || r.Status != http.StatusBadRequest || r.ErrorSource != backend.ErrorSourceDownstream {
			t.Errorf("%s: %s, want 400 downstream", b.ref, respErr(r))
			continue
		}
		mustContain(t, r.Error.Error(), b.want)
	}
	for _, g := range good {
		r := res.Responses[g.RefID]
		if r.Error != nil || len(r.Frames) == 0 {
			t.Errorf("%s: %s, want an answer", g.RefID, respErr(r))
		}
	}
	// The fixture has 9 active conferences in range; limit "2" (a template variable) gives 2.
	if n := rowCount(res.Responses["good-conferences"].Frames); n != 9 {
		t.Errorf("good-conferences: %d rows, want 9", n)
	}
	if n := rowCount(res.Responses["good-limit-string"].Frames); n != 2 {
		t.Errorf("good-limit-string: %d rows, want 2", n)
	}
}

// sqlPayloads are strings a SQL injection would try. Every one must come back as a 400 (not a
// uuid, not allowlisted) or as the answer the same query gives for a value that matches nothing —
// never a SQL error, never more rows.
var sqlPayloads = []string{
	`' OR '1'='1`,
	`'; DROP TABLE conference; --`,
	`1); DELETE FROM app; --`,
	`%' OR 1=1 --`,
	`\'; SELECT pg_sleep(5); --`,
	`' UNION SELECT id::text, name, null FROM app --`,
	`$1`,
	`$$; TRUNCATE app_session CASCADE; $$`,
	`"; DROP TABLE app_issue; --`,
	`') OR true; COMMIT; DROP TABLE summary; --`,
	`%_\`,
	`*/ OR 1=1 /*`,
	"x'\u00a0OR\u00a01=1",
	`00000000-0000-4000-8000-000000000c01' OR 'a'='a`,
}

// injectable lists every string field and filter of a query (SPEC §3).
var injectable = []string{"appId", "conferenceId", "sessionId", "connectionId", "groupBy", "metric", "variable",
	"filters.browser", "filters.os", "filters.country", "filters.appVersion", "filters.sdk", "filters.issueCode",
	"filters.status", "filters.participantId", "filters.search"}

// TestSQLLookingStringsInEveryField puts each payload in each string field and filter of each query
// type (about 2,000 RefIDs in CI, 4,700 with PM_LONG=1) and compares with a value that matches nothing.
// The tables are intact afterwards.
func TestSQLLookingStringsInEveryField(t *testing.T) {
	db := fixtureDB(t)
	conn := connect(t, db.URL)
	before := tableCounts(t, conn)
	p := startPlugin(t)
	s := sharedDS(db.Name, map[string]any{"queryTimeoutSeconds": 10})

	type pair struct{ payload, benign string }
	payloads := sqlPayloads
	if !long() {
		payloads = payloads[:6] // about 2,000 RefIDs in CI; PM_LONG=1 sends every payload
	}
	pairs := map[string]pair{}
	var qs []q
	i := 0
	for qt, base := range baseQueries {
		for _, field := range injectable {
			benignRef := fmt.Sprintf("b-%s-%s", qt, field)
			qs = append(qs, q{RefID: benignRef, JSON: queryJSON(t, qt, base, map[string]any{field: "zz-nomatch"}), From: fixFrom, To: fixTo})
			for _, pl := range payloads {
				i++
				var v any = pl
				if strings.HasPrefix(field, "filters.") && field != "filters.participantId" && field != "filters.search" {
					v = []string{pl}
				}
				ref := fmt.Sprintf("p%d-%s-%s", i, qt, field)
				pairs[ref] = pair{payload: pl, benign: benignRef}
				qs = append(qs, q{RefID: ref, JSON: queryJSON(t, qt, base, map[string]any{field: v}), From: fixFrom, To: fixTo})
			}
		}
	}
	const batch = 1200
	responses := backend.Responses{}
	for start := 0; start < len(qs); start += batch {
		res := p.query(t, s, qs[start:min(start+batch, len(qs))]...)
		maps.Copy(responses, res.Responses)
	}
	okCount, badCount := 0, 0
	for ref, pr := range pairs {
		r := responses[ref]
		switch {
		case r.Error == nil:
			okCount++
			b := responses[pr.benign]
			if b.Error != nil {
				t.Errorf("%s (%q): answered, but the non-matching value gave %s", ref, pr.payload, respErr(b))
				continue
			}
			// Drilldown links carry the filter values (URL-escaped), so they are compared apart.
			for _, f := range r.Frames {
				for _, fld := range f.Fields {
					if fld.Config == nil {
						continue
					}
					for _, l := range fld.Config.Links {
						if url.QueryEscape(pr.payload) != pr.payload && strings.Contains(l.URL, pr.payload) {
							t.Errorf("%s: a drilldown link holds the raw payload: %s", ref, l.URL)
						}
					}
				}
			}
			if got, want := digestOpt(r.Frames, false), digestOpt(b.Frames, false); got != want {
				t.Errorf("%s (%q): the payload changed the answer:\n%s\nwant (non-matching value):\n%s", ref, pr.payload, got, want)
			}
		case r.Status == http.StatusBadRequest && r.ErrorSource == backend.ErrorSourceDownstream:
			badCount++
			if strings.Contains(r.Error.Error(), "SQLSTATE") {
				t.Errorf("%s: a 400 carrying a SQL error: %v", ref, r.Error)
			}
		default:
			t.Errorf("%s (%q): %s, want a 400 or a normal answer", ref, pr.payload, respErr(r))
		}
	}
	t.Logf("%d payload queries: %d answered like a non-matching value, %d refused with 400", len(pairs), okCount, badCount)
	if okCount == 0 || badCount == 0 {
		t.Errorf("expected both kinds of outcome")
	}
	if after := tableCounts(t, conn); !maps.Equal(before, after) {
		t.Errorf("table row counts changed: before %v, after %v", before, after)
	}
	// And the data source still answers normally.
	res := p.query(t, s, q{RefID: "A", JSON: `{"queryType": "overview"}`, From: fixFrom, To: fixTo})
	if r := res.Responses["A"]; r.Error != nil {
		t.Errorf("overview after the payloads: %s", respErr(r))
	}
}

// TestThousandsOfRefIDsBounded sends 2,000 queries in one request: all answer, each with its own
// result, and the plugin never holds more than 8 database connections although the pool may open 50
// (it runs at most 8 queries of a request at once).
func TestThousandsOfRefIDsBounded(t *testing.T) {
	db := fixtureDB(t)
	conn := connect(t, db.URL)
	p := startPlugin(t)
	s := sharedDS(db.Name, map[string]any{"maxConns": 50})
	var qs []q
	for i := range 2000 {
		// Distinct one-minute-aligned ranges, so the cache cannot answer one from another; every
		// tenth is bad and must fail alone.
		from := fixFrom.Add(time.Duration(i) * time.Minute)
		js := `{"queryType": "conferences", "limit": 3}`
		if i%10 == 9 {
			js = `{"queryType": "conferences", "limit": -3}`
		}
		qs = append(qs, q{RefID: fmt.Sprintf("R%04d", i), JSON: js, From: from, To: fixTo})
	}
	done, stop := make(chan struct{}), make(chan struct{})
	maxConns := 0
	go func() {
		defer close(done)
		for {
			var n int
			_ = conn.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
				WHERE datname = current_database() AND application_name = 'grafana-peermetrics-datasource'`).Scan(&n)
			maxConns = max(maxConns, n)
			select {
			case <-time.After(5 * time.Millisecond):
			case <-stop:
				return
			}
		}
	}()
	start := time.Now()
	res := p.query(t, s, qs...)
	elapsed := time.Since(start)
	close(stop)
	<-done
	for i, x := range qs {
		r := res.Responses[x.RefID]
		if i%10 == 9 {
			if r.Status != http.StatusBadRequest {
				t.Errorf("%s: %s, want 400", x.RefID, respErr(r))
			}
			continue
		}
		if r.Error != nil || len(r.Frames) != 1 || r.Frames[0].RefID != x.RefID {
			t.Errorf("%s: %s", x.RefID, respErr(r))
		}
	}
	t.Logf("2000 RefIDs answered in %s; at most %d plugin connections seen", elapsed, maxConns)
	if maxConns > 8 {
		t.Errorf("the plugin held %d connections for one request; it should run at most 8 queries at once", maxConns)
	}
}

// TestBadResourceCalls covers the values/<kind> resource with oversized bodies, wrong methods and
// paths, bad parameters and SQL-looking strings.
func TestBadResourceCalls(t *testing.T) {
	db := fixtureDB(t)
	conn := connect(t, db.URL)
	before := tableCounts(t, conn)
	p := startPlugin(t)
	s := sharedDS(db.Name, nil)
	cases := []struct {
		name, method, path, query string
		body                      []byte
		status                    int
		want                      string
	}{
		{"oversized body", "GET", "values/browsers", "", make([]byte, 64<<10+1), 413, "larger than 64 KiB"},
		{"huge body", "POST", "values/browsers", "", []byte(strings.Repeat("{", 3<<20)), 413, "larger than"},
		{"unknown path", "GET", "admin/drop", "", nil, 404, "unknown resource"},
		{"traversal", "GET", "values/../../etc/passwd", "", nil, 404, "unknown"},
		{"unknown kind", "GET", "values/passwords", "", nil, 404, `unknown value kind "passwords"`},
		{"sql kind", "GET", "values/browsers;DROP TABLE app", "", nil, 404, "unknown value kind"},
		{"method", "DELETE", "values/browsers", "", nil, 405, "answers GET only"},
		{"bad appId", "GET", "values/browsers", "appId=" + url.QueryEscape("' OR 1=1 --"), nil, 400, "appId must be a uuid"},
		{"bad limit", "GET", "values/browsers", "limit=-1", nil, 400, "limit must be a whole number"},
		{"huge limit", "GET", "values/browsers", "limit=99999999999999999999", nil, 400, "limit must be a whole number"},
		{"long search", "GET", "values/conferences", "search=" + strings.Repeat("a", 201), nil, 400, "at most 200"},
		{"bad query string", "GET", "values/browsers", "limit=%zz", nil, 400, "cannot be parsed"},
	}
	for _, c := range cases {
		status, body := p.resourceCall(t, s, c.method, c.path, c.query, c.body)
		if status != c.status {
			t.Errorf("%s: status %d (%s), want %d", c.name, status, body, c.status)
			continue
		}
		var m map[string]string
		if err := json.Unmarshal([]byte(body), &m); err != nil {
			t.Errorf("%s: body is not a JSON error: %s", c.name, body)
			continue
		}
		mustContain(t, m["message"], c.want)
	}
	// SQL-looking search and conferenceId: a normal (empty) answer, never a SQL error.
	for _, pl := range sqlPayloads {
		for _, param := range []string{"search", "conferenceId"} {
			kind := "conferences"
			if param == "conferenceId" {
				kind = "participants"
			}
			v := pl
			if len(v) > 64 {
				v = v[:64]
			}
			status, body := p.resourceCall(t, s, "GET", "values/"+kind, param+"="+url.QueryEscape(v), nil)
			if status != 200 && status != 400 {
				t.Errorf("%s=%q: status %d %s", param, v, status, body)
				continue
			}
			if status == 200 && body != "[]" {
				t.Errorf("%s=%q matched rows: %s", param, v, body)
			}
		}
	}
	if after := tableCounts(t, conn); !maps.Equal(before, after) {
		t.Errorf("table row counts changed: before %v, after %v", before, after)
	}
}
