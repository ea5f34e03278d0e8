package plugin_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/jackc/pgx/v5"
	"github.com/redis/go-redis/v9"

	"github.com/peermetrics/grafana-datasource/pkg/schema"
	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

// Two plugin processes (two Grafana replicas) share one Redis. What reaches PostgreSQL is counted
// by the server itself (pg_stat_statements), not by the plugin: 50 concurrent identical cold
// requests split across both processes run the statement once, and the second process's first load
// of a key the first one computed is a cache hit.
func TestGRPCTwoProcessesShareRedis(t *testing.T) {
	redisAddr := testdb.RequireRedis(t)
	srv := testdb.StartPasswordServer(t, "-c shared_preload_libraries=pg_stat_statements")
	ctx := context.Background()

	admin, err := pgx.Connect(ctx, srv.URL("postgres"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := admin.Exec(ctx, "CREATE DATABASE pm"); err != nil {
		t.Fatal(err)
	}
	admin.Close(ctx)
	conn, err := pgx.Connect(ctx, srv.URL("pm"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	fixture, err := os.ReadFile("../store/testdata/fixture.sql")
	if err != nil {
		t.Fatal(err)
	}
	for _, sql := range []string{schema.SQL, string(fixture), "CREATE EXTENSION pg_stat_statements"} {
		if _, err := conn.Exec(ctx, sql); err != nil {
			t.Fatal(err)
		}
	}

	// A Redis database of its own, emptied first: the run starts cold.
	const redisDB = 11
	rc := redis.NewClient(&redis.Options{Addr: redisAddr, DB: redisDB})
	defer rc.Close()
	if err := rc.FlushDB(ctx).Err(); err != nil {
		t.Fatal(err)
	}
	s := dsSettings{
		JSON: map[string]any{"host": srv.Addr, "database": "pm", "user": srv.User, "prewarm": false,
			"redisAddresses": []string{redisAddr}, "redisDB": redisDB},
		Secrets: map[string]string{"password": srv.Password},
		Updated: time.Unix(1700000100, 0), // one settings version for both replicas
	}
	p1, p2 := startGRPCPlugin(t), startGRPCPlugin(t)
	if _, err := conn.Exec(ctx, "SELECT pg_stat_statements_reset()"); err != nil {
		t.Fatal(err)
	}

	from := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	to := time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC)
	var wg sync.WaitGroup
	for i := range 50 {
		p := p1
		if i%2 == 1 {
			p = p2
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			// Ranges differ by milliseconds, as two dashboard loads do; both normalize to one key.
			r := p.queryData(t, s, grpcQuery{RefID: "A", QueryType: "overview", JSON: `{}`,
				From: from.Add(time.Duration(i) * time.Millisecond), To: to.Add(-time.Duration(i) * time.Millisecond)})
			if err := r.Responses["A"].Error; err != nil {
				t.Errorf("request %d: %v", i, err)
			}
		}()
	}
	wg.Wait()

	// The overview's statement, and the setup-time statement it shares with setupTimeHistogram.
	for what, like := range map[string][2]string{
		"the overview statement":          {"WITH conf0 AS MATERIALIZED%", "%FROM gum%"},
		"the shared setup-time statement": {"WITH conn AS (SELECT%", "%SELECT setup_start, setup_end FROM conn"},
	} {
		var calls int64
		if err := conn.QueryRow(ctx, `SELECT COALESCE(sum(calls), 0) FROM pg_stat_statements
			WHERE query LIKE $1 AND query LIKE $2`, like[0], like[1]).Scan(&calls); err != nil {
			t.Fatal(err)
		}
		if calls != 1 {
			t.Errorf("%s ran %d times for 50 identical requests across two processes, want 1", what, calls)
		}
	}

	// Process one computes the conference status; process two's first load of it is a hit.
	r1 := p1.queryData(t, s, grpcQuery{RefID: "A", QueryType: "conferenceStatus", JSON: `{}`, From: from, To: to})
	r2 := p2.queryData(t, s, grpcQuery{RefID: "A", QueryType: "conferenceStatus", JSON: `{}`, From: from, To: to})
	for name, r := range map[string]string{"first": cacheStatus(t, r1.Responses["A"].Frames), "second": cacheStatus(t, r2.Responses["A"].Frames)} {
		want := "miss"
		if name == "second" {
			want = "hit"
		}
		if r != want {
			t.Errorf("%s process: cache %q, want %q", name, r, want)
		}
	}
}

// cacheStatus reads the cache outcome the plugin states in the frame metadata.
func cacheStatus(t *testing.T, frames data.Frames) string {
	t.Helper()
	if len(frames) == 0 || frames[0].Meta == nil {
		t.Fatal("no frame metadata")
	}
	m, _ := frames[0].Meta.Custom.(map[string]any)
	return fmt.Sprint(m["cache"])
}
