package reliabilitytest

import (
	"context"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/seed"
	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

// The scope tests compare two data sources on different databases:
//
//   - "scoped": the whole tiny profile (2 organizations, 3 apps) read through a data source scoped
//     to some apps or an organization;
//   - "reference": a copy of the same database from which every other app was deleted (cascading to
//     all of its rows), read through an unscoped data source.
//
// If the scope holds in every statement, both show exactly the same thing for every query type,
// variable, annotation, resource and drilldown link. A row of another app leaking through any
// join shows up as a difference. Identical cache keys are tested with two plugin processes sharing
// one Redis.

var (
	tinyOnce sync.Once
	tinyDB   *testdb.DB
	tinyErr  error
	copies   []string // databases made from the tiny one, dropped at the end
	copiesMu sync.Mutex
)

func dropShared() {
	ctx := context.Background()
	copiesMu.Lock()
	defer copiesMu.Unlock()
	for _, name := range copies {
		_ = testdb.Drop(ctx, name)
	}
	if tinyDB != nil {
		_ = testdb.Drop(ctx, tinyDB.Name)
	}
}

func tinyDatabase(t testing.TB) *testdb.DB {
	t.Helper()
	testdb.New(t) // skips, or fails under CI, when PostgreSQL is missing
	tinyOnce.Do(func() {
		tinyDB, tinyErr = testdb.Create(context.Background(), "pmreltiny")
		if tinyErr == nil {
			_, tinyErr = seed.GenerateURL(context.Background(), tinyDB.URL, seed.Profiles["tiny"])
		}
		if tinyErr == nil {
			// Without statistics (autovacuum has not run yet on the new database) the planner picks
			// plans for the quality query that take 25 s instead of 0.3 s on tiny.
			var conn *pgx.Conn
			if conn, tinyErr = pgx.Connect(context.Background(), tinyDB.URL); tinyErr == nil {
				_, tinyErr = conn.Exec(context.Background(), "ANALYZE")
				_ = conn.Close(context.Background())
			}
		}
	})
	if tinyErr != nil {
		t.Fatalf("generate tiny profile: %v", tinyErr)
	}
	return tinyDB
}

// copyKeeping copies the tiny database and deletes every app not in keep (ON DELETE CASCADE takes
// all of their rows), and the organizations left without an app.
func copyKeeping(t testing.TB, src *testdb.DB, keep []string) string {
	t.Helper()
	ctx := context.Background()
	admin := connect(t, testdb.AdminURL())
	name := fmt.Sprintf("%s_k%d", src.Name, time.Now().UnixNano()%1e9)
	copiesMu.Lock()
	copies = append(copies, name)
	copiesMu.Unlock()
	// The template must have no other session: a plugin process of an earlier test may still be
	// closing its connections.
	start := time.Now()
	for {
		_, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()+" TEMPLATE "+pgx.Identifier{src.Name}.Sanitize())
		if err == nil {
			break
		}
		if !strings.Contains(err.Error(), "55006") || time.Since(start) > 10*time.Second {
			t.Fatalf("copy database: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Logf("copy of the tiny database made in %s", time.Since(start))
	u, _ := url.Parse(src.URL)
	u.Path = "/" + name
	conn := connect(t, u.String())
	if _, err := conn.Exec(ctx, `DELETE FROM app WHERE NOT (id::text = ANY($1))`, keep); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, `DELETE FROM organization o WHERE NOT EXISTS (SELECT 1 FROM app a WHERE a.organization_id = o.id)`); err != nil {
		t.Fatal(err)
	}
	// The deletes leave the planner's statistics describing the whole database: refresh them, as
	// autovacuum would.
	if _, err := conn.Exec(ctx, `VACUUM ANALYZE`); err != nil {
		t.Fatal(err)
	}
	var left int
	_ = conn.QueryRow(ctx, `SELECT count(*) FROM conference`).Scan(&left)
	if left == 0 {
		t.Fatalf("the copy keeping %v has no conference", keep)
	}
	_ = conn.Close(ctx)
	return name
}

type tinyApp struct{ id, org string }

func tinyApps(t testing.TB, conn *pgx.Conn) []tinyApp {
	t.Helper()
	rows, err := conn.Query(context.Background(), `SELECT id::text, organization_id::text FROM app ORDER BY organization_id, id`)
	if err != nil {
		t.Fatal(err)
	}
	apps, err := pgx.CollectRows(rows, func(r pgx.CollectableRow) (tinyApp, error) {
		var a tinyApp
		return a, r.Scan(&a.id, &a.org)
	})
	if err != nil {
		t.Fatal(err)
	}
	return apps
}

// targets are ids of each kind for detail queries: some of every app (in scope and out of it).
type targets struct {
	conferences, confKeys, sessions, connections, participants []string
}

func pickTargets(t testing.TB, conn *pgx.Conn) targets {
	t.Helper()
	ctx := context.Background()
	var tg targets
	pick := func(sql string) []string {
		rows, err := conn.Query(ctx, sql)
		if err != nil {
			t.Fatal(err)
		}
		out, err := pgx.CollectRows(rows, pgx.RowTo[string])
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	// Two per app, the ones with the most rows under them (stats, issues, events).
	tg.conferences = pick(`SELECT id FROM (SELECT c.id::text, row_number() OVER (PARTITION BY c.app_id ORDER BY
		(SELECT count(*) FROM app_session s WHERE s.conference_id = c.id) DESC, c.id) AS rn FROM conference c) x WHERE rn <= 2`)
	tg.confKeys = pick(`SELECT DISTINCT ON (app_id) conference_id FROM conference ORDER BY app_id, created_at, id`)
	tg.sessions = pick(`SELECT DISTINCT ON (c.app_id) s.id::text FROM app_session s JOIN conference c ON c.id = s.conference_id
		ORDER BY c.app_id, (SELECT count(*) FROM app_connection k WHERE k.session_id = s.id) DESC, s.id`)
	tg.connections = pick(`SELECT DISTINCT ON (c.app_id) k.id::text FROM app_connection k JOIN conference c ON c.id = k.conference_id
		ORDER BY c.app_id, (SELECT count(*) FROM app_genericevent e WHERE e.connection_id = k.id) DESC, k.id`)
	tg.participants = pick(`SELECT DISTINCT ON (app_id) participant_id FROM participant WHERE NOT is_sfu ORDER BY app_id, created_at, id`)
	return tg
}

// scopeQueries lists every query type, with every groupBy, metric, variable and detail target.
func scopeQueries(t testing.TB, tg targets) []q {
	t.Helper()
	from, to := seed.TinyEnd.Add(-72*time.Hour), seed.TinyEnd
	var qs []q
	add := func(js string) {
		qs = append(qs, q{RefID: fmt.Sprintf("Q%03d", len(qs)), JSON: js, From: from, To: to})
	}
	for _, qt := range []string{"overview", "conferenceStatus", "issueSummary", "gumErrors", "durationHistogram",
		"participantHistogram", "setupTimeHistogram", "connectionTypes", "quality", "funnel", "annotations"} {
		add(fmt.Sprintf(`{"queryType": %q}`, qt))
	}
	add(`{"queryType": "conferences", "limit": 10000}`)
	add(`{"queryType": "conferences", "limit": 10000, "filters": {"status": ["error", "warning"]}}`)
	for _, g := range query.GroupBys {
		add(fmt.Sprintf(`{"queryType": "breakdown", "groupBy": %q}`, g))
		add(fmt.Sprintf(`{"queryType": "timeseries", "metric": "sessions", "groupBy": %q}`, g))
	}
	for _, m := range query.Metrics {
		add(fmt.Sprintf(`{"queryType": "timeseries", "metric": %q}`, m))
	}
	for _, v := range query.VariableKinds {
		add(fmt.Sprintf(`{"queryType": "variable", "variable": %q, "limit": 10000}`, v))
	}
	for _, id := range append(slices.Clone(tg.conferences), tg.confKeys...) {
		for _, qt := range []string{"participants", "sessions", "connections", "issues", "events", "connectionStats"} {
			add(fmt.Sprintf(`{"queryType": %q, "conferenceId": %q, "limit": 10000}`, qt, id))
		}
	}
	for _, id := range tg.sessions {
		for _, qt := range []string{"participants", "sessions", "connections", "issues", "events", "connectionStats"} {
			add(fmt.Sprintf(`{"queryType": %q, "sessionId": %q, "limit": 10000}`, qt, id))
		}
	}
	for _, id := range tg.connections {
		for _, qt := range []string{"connections", "issues", "events", "connectionStats"} {
			add(fmt.Sprintf(`{"queryType": %q, "connectionId": %q, "limit": 10000}`, qt, id))
		}
	}
	for _, id := range tg.participants {
		for _, qt := range []string{"sessions", "issues", "events"} {
			add(fmt.Sprintf(`{"queryType": %q, "filters": {"participantId": %q}, "limit": 10000}`, qt, id))
		}
		add(fmt.Sprintf(`{"queryType": "conferences", "filters": {"participantId": %q}, "limit": 10000}`, id))
	}
	return qs
}

// compareScoped runs every query (and every resource) through both data sources and reports any
// difference. It returns how many answers had at least one row.
func compareScoped(t *testing.T, p *grpcPlugin, scoped, reference *ds, qs []q) int {
	t.Helper()
	a := p.query(t, scoped, qs...)
	b := p.query(t, reference, qs...)
	withRows := 0
	for _, x := range qs {
		ra, rb := a.Responses[x.RefID], b.Responses[x.RefID]
		if ra.Error != nil && rb.Error != nil && ra.Error.Error() == rb.Error.Error() && strings.Contains(ra.Error.Error(), "not implemented") {
			// A metric another issue still has to implement: the same answer on both sides.
			continue
		}
		if ra.Error != nil || rb.Error != nil {
			t.Errorf("%s %s: scoped %s, reference %s", x.RefID, x.JSON, respErr(ra), respErr(rb))
			continue
		}
		if rowCount(ra.Frames) > 0 {
			withRows++
		}
		if da, db := digest(ra.Frames), digest(rb.Frames); da != db {
			t.Errorf("%s %s: the scoped data source shows something else than the database holding only its apps:\nscoped:\n%s\nreference:\n%s",
				x.RefID, x.JSON, da, db)
		}
	}
	for _, kind := range query.VariableKinds {
		for _, qs := range []string{"limit=1000", "search=a&limit=1000"} {
			sa, ba := p.resourceCall(t, scoped, http.MethodGet, "values/"+kind, qs, nil)
			sb, bb := p.resourceCall(t, reference, http.MethodGet, "values/"+kind, qs, nil)
			if sa != 200 || sb != 200 || ba != bb {
				t.Errorf("values/%s?%s: scoped %d %s, reference %d %s", kind, qs, sa, ba, sb, bb)
			}
		}
	}
	return withRows
}

// TestScopeIsolation: for three scopes (an organization, one app of the other organization, and
// apps ∩ organization), every query type, variable, annotation, resource and drilldown link of the
// scoped data source equals what an unscoped data source shows on a database holding only the
// scope's apps; an app outside the scope is refused with 403.
func TestScopeIsolation(t *testing.T) {
	full := tinyDatabase(t)
	conn := connect(t, full.URL)
	apps := tinyApps(t, conn)
	tg := pickTargets(t, conn)
	_ = conn.Close(context.Background())
	orgs := []string{}
	for _, a := range apps {
		if !slices.Contains(orgs, a.org) {
			orgs = append(orgs, a.org)
		}
	}
	if len(orgs) != 2 || len(apps) != 3 {
		t.Fatalf("tiny: %d orgs, %d apps; want 2 and 3", len(orgs), len(apps))
	}
	var org0Apps, org1Apps []string
	for _, a := range apps {
		if a.org == orgs[0] {
			org0Apps = append(org0Apps, a.id)
		} else {
			org1Apps = append(org1Apps, a.id)
		}
	}
	scopes := []struct {
		name     string
		settings map[string]any
		keep     []string
		outside  string
	}{
		{"organization", map[string]any{"organizationId": orgs[0]}, org0Apps, org1Apps[0]},
		{"one app", map[string]any{"appIds": []string{org1Apps[0]}}, org1Apps[:1], org0Apps[0]},
		{"apps and organization", map[string]any{"appIds": []string{org0Apps[0], org1Apps[0]}, "organizationId": orgs[1]},
			[]string{org1Apps[0]}, org0Apps[0]},
	}
	// Every copy is made before a plugin connects to the source database.
	copyNames := make([]string, len(scopes))
	for i, sc := range scopes {
		copyNames[i] = copyKeeping(t, full, sc.keep)
	}
	p := startPlugin(t)
	qs := scopeQueries(t, tg)
	for i, sc := range scopes {
		t.Run(sc.name, func(t *testing.T) {
			copyName := copyNames[i]
			scoped := sharedDS(full.Name, sc.settings)
			reference := sharedDS(copyName, nil)
			// Its own uid: two versions of one uid, queried in turn, would make the SDK replace the
			// instance (and open a pool) on every request while the replaced ones wind down; that
			// reached the server's 100 connections.
			reference.UID += "-reference"
			n := compareScoped(t, p, scoped, reference, qs)
			t.Logf("%d queries compared, %d with rows", len(qs), n)
			if n < len(qs)/3 {
				t.Errorf("only %d of %d answers had rows: the comparison proves little", n, len(qs))
			}
			// An app outside the scope is refused, in queries and in the resource.
			res := p.query(t, scoped, q{RefID: "A", JSON: fmt.Sprintf(`{"queryType": "overview", "appId": %q}`, sc.outside),
				From: seed.TinyEnd.Add(-72 * time.Hour), To: seed.TinyEnd})
			if r := res.Responses["A"]; r.Status != http.StatusForbidden {
				t.Errorf("appId outside the scope: %s, want 403", respErr(r))
			}
			if st, body := p.resourceCall(t, scoped, http.MethodGet, "values/browsers", "appId="+sc.outside, nil); st != http.StatusForbidden {
				t.Errorf("resource with an appId outside the scope: %d %s, want 403", st, body)
			}
		})
	}
}

// TestScopeInCacheKeys: two plugin processes (two Grafana replicas) share one Redis and serve data
// sources with the SAME uid and settings version but different scopes (a provisioning mistake, or
// two Grafana instances). Each must still show only its own rows: the scope is part of every key.
func TestScopeInCacheKeys(t *testing.T) {
	full := tinyDatabase(t)
	conn := connect(t, full.URL)
	apps := tinyApps(t, conn)
	tg := pickTargets(t, conn)
	_ = conn.Close(context.Background())
	r := testdb.StartRedis(t)
	updated := time.Unix(1800000000, 0)
	mk := func(scope map[string]any) *ds {
		scope["redisAddresses"] = []string{r.Addr()}
		s := sharedDS(full.Name, scope)
		s.UID, s.Updated = "same-uid", updated
		return s
	}
	first := mk(map[string]any{"appIds": []string{apps[0].id}})
	second := mk(map[string]any{"appIds": []string{apps[len(apps)-1].id}})
	refFirst := sharedDS(copyKeeping(t, full, []string{apps[0].id}), nil)
	refSecond := sharedDS(copyKeeping(t, full, []string{apps[len(apps)-1].id}), nil)
	p1, p2 := startPlugin(t), startPlugin(t)
	qs := scopeQueries(t, tg)[:40]
	// Fill the cache from the first process, then read through the second (and the other way).
	compareScoped(t, p1, first, refFirst, qs)
	if n := r.CLI(t, "dbsize"); n == "0" {
		t.Fatalf("nothing was cached in Redis")
	}
	keys := r.CLI(t, "dbsize")
	compareScoped(t, p2, second, refSecond, qs)
	if r.CLI(t, "dbsize") == keys {
		t.Errorf("the second scope added no cache entry: it must have read the first scope's entries")
	}
	// Each process again, now from the cache.
	compareScoped(t, p1, first, refFirst, qs)
	compareScoped(t, p2, second, refSecond, qs)
	if !strings.Contains(r.CLI(t, "info", "stats"), "keyspace_hits:") {
		t.Errorf("no Redis stats")
	}
}
