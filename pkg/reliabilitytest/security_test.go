package reliabilitytest

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

// TestSecretsNeverLeak drives a data source through success and every failure that involves a
// secret — right and wrong PostgreSQL passwords, right and wrong Redis passwords, Redis down,
// PostgreSQL down — and checks that no secret appears in any error, health message, frame,
// resource body, log line of the plugin process (stderr and stdout) or metric (CollectMetrics).
func TestSecretsNeverLeak(t *testing.T) {
	srv := testdb.StartPasswordServer(t)
	loadSchemaAndFixture(t, srv.URL("postgres"), srv.URL("pm"), "pm")
	const redisPW = "redis-Secret-7f3a!x"
	const wrongPG = "wrong-PG-Secret-91c"
	const wrongRedis = "wrong-Redis-Secret-55d"
	r := testdb.StartRedis(t, "--requirepass", redisPW)
	secrets := []string{srv.Password, redisPW, wrongPG, wrongRedis}
	p := startPlugin(t)

	var seen []string // everything the plugin returned
	record := func(v any) {
		b, err := json.Marshal(v)
		if err != nil {
			t.Fatal(err)
		}
		seen = append(seen, string(b))
	}
	exercise := func(name string, s *ds) {
		h := p.health(t, s)
		record(h)
		t.Logf("%s: health %v: %s", name, h.Status, h.Message)
		res := p.query(t, s, uniqueQuery(`{"queryType": "overview"}`), q{RefID: "B", JSON: `{"queryType": "conferences"}`, From: fixFrom, To: fixTo},
			q{RefID: "C", JSON: `{"queryType": "variable", "variable": "apps"}`, From: fixFrom, To: fixTo},
			q{RefID: "D", JSON: `{"queryType": "bogus"}`, From: fixFrom, To: fixTo})
		for ref, resp := range res.Responses {
			if resp.Error != nil {
				record(ref + ": " + resp.Error.Error())
			}
			for _, f := range resp.Frames {
				record(f)
			}
		}
		_, body := p.resourceCall(t, s, "GET", "values/apps", "", nil)
		record(body)
	}
	mk := func(pgPW, redisPass string, redisAddr string) *ds {
		s := newDS(srv.Addr, "pm", srv.User, map[string]any{"redisAddresses": []string{redisAddr}, "queryTimeoutSeconds": 5})
		s.Secrets["password"], s.Secrets["redisPassword"] = pgPW, redisPass
		return s
	}
	good := mk(srv.Password, redisPW, r.Addr())
	exercise("all right", good)
	if h := p.health(t, good); h.Status != backend.HealthStatusOk {
		t.Errorf("health with the right secrets: %s", h.Message)
	}
	exercise("wrong PostgreSQL password", mk(wrongPG, redisPW, r.Addr()))
	exercise("wrong Redis password", mk(srv.Password, wrongRedis, r.Addr()))
	exercise("Redis unreachable", mk(srv.Password, redisPW, "127.0.0.1:1"))
	exercise("PostgreSQL down", func() *ds {
		if err := srv.Stop(); err != nil {
			t.Fatal(err)
		}
		return mk(srv.Password, redisPW, r.Addr())
	}())
	if err := srv.Start(); err != nil {
		t.Fatal(err)
	}
	metrics := p.metrics(t, good)
	if !strings.Contains(metrics, "peermetrics_") {
		t.Errorf("CollectMetrics has no plugin metric:\n%.500s", metrics)
	}
	time.Sleep(200 * time.Millisecond) // let the last log lines through
	logs := p.logs.String()
	if !strings.Contains(logs, "rror") {
		t.Errorf("the plugin logged no error at all: the log capture does not work\n%.2000s", logs)
	}
	for _, sec := range secrets {
		for i, x := range seen {
			if strings.Contains(x, sec) {
				t.Errorf("answer %d holds a secret: %.400s", i, x)
			}
		}
		if strings.Contains(logs, sec) {
			i := strings.Index(logs, sec)
			t.Errorf("the plugin log holds a secret: ...%s...", logs[max(0, i-300):min(len(logs), i+100)])
		}
		if strings.Contains(metrics, sec) {
			t.Errorf("the metrics hold a secret")
		}
	}
	t.Logf("checked %d answers, %d bytes of plugin logs, %d bytes of metrics", len(seen), len(logs), len(metrics))
}

// TestSessionsAreReadOnly: a pool built from settings.PoolConfig (what the plugin uses) has
// read-only sessions with the statement timeout, in UTC, named for pg_stat_activity, and a write
// through it is refused by PostgreSQL with SQLSTATE 25006 (read_only_sql_transaction), even by a
// superuser and even inside an explicit transaction.
func TestSessionsAreReadOnly(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	pool, _ := settingsPool(ctx, t, `"queryTimeoutSeconds": 7`, 0)
	for setting, want := range map[string]string{"default_transaction_read_only": "on", "transaction_read_only": "on",
		"statement_timeout": "7s", "TimeZone": "UTC", "application_name": "grafana-peermetrics-datasource"} {
		var got string
		if err := pool.QueryRow(ctx, "SHOW "+setting).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("SHOW %s = %q, want %q", setting, got, want)
		}
	}
	writes := []string{
		`INSERT INTO organization (id, created_at, is_active, name) VALUES (gen_random_uuid(), now(), true, 'x')`,
		`UPDATE conference SET conference_name = 'x'`,
		`DELETE FROM app_issue`,
		`CREATE TABLE pwned (x int)`,
		`TRUNCATE summary`,
	}
	for _, w := range writes {
		_, err := pool.Exec(ctx, w)
		var pgErr *pgconn.PgError
		if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
			t.Errorf("%s: %v, want SQLSTATE 25006", w, err)
		}
	}
	// An explicit transaction is read-only too.
	tx, err := pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	_, err = tx.Exec(ctx, `DELETE FROM conference`)
	_ = tx.Rollback(ctx)
	var pgErr *pgconn.PgError
	if !errors.As(err, &pgErr) || pgErr.Code != "25006" {
		t.Errorf("DELETE in a transaction: %v, want SQLSTATE 25006", err)
	}
	var n int
	if err := pool.QueryRow(ctx, `SELECT count(*) FROM conference`).Scan(&n); err != nil || n != 10 {
		t.Errorf("conference rows %d (%v), want the fixture's 10", n, err)
	}
}
