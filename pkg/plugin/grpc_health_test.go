package plugin_test

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5"

	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

func TestGRPCHealth(t *testing.T) {
	db := tinyDatabase(t)
	p := startGRPCPlugin(t)

	t.Run("ok on a generated database, warning about the empty scope", func(t *testing.T) {
		res := p.checkHealth(t, testDBSettings(db))
		if res.Status != backend.HealthStatusOk {
			t.Fatalf("status %v: %s", res.Status, res.Message)
		}
		mustContain(t, res.Message, "Connected to PostgreSQL", "reads every app")
	})

	t.Run("ok with a scoped app and Redis", func(t *testing.T) {
		s := testDBSettings(db)
		conn, err := pgx.Connect(context.Background(), db.URL)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(context.Background())
		var app string
		if err := conn.QueryRow(context.Background(), `SELECT id::text FROM app WHERE is_active ORDER BY name LIMIT 1`).Scan(&app); err != nil {
			t.Fatal(err)
		}
		s.JSON["appIds"] = []string{app}
		s.JSON["redisAddresses"] = []string{testdb.RequireRedis(t)}
		res := p.checkHealth(t, s)
		if res.Status != backend.HealthStatusOk {
			t.Fatalf("status %v: %s", res.Status, res.Message)
		}
		if strings.Contains(res.Message, "every app") {
			t.Errorf("scoped data source still warns about the scope: %s", res.Message)
		}
	})

	t.Run("unknown scoped app", func(t *testing.T) {
		s := testDBSettings(db)
		s.JSON["appIds"] = []string{"00000000-0000-4000-8000-00000000dead"}
		res := p.checkHealth(t, s)
		if res.Status != backend.HealthStatusError {
			t.Fatalf("status %v: %s", res.Status, res.Message)
		}
		mustContain(t, res.Message, "App 00000000-0000-4000-8000-00000000dead", "does not exist")
	})

	t.Run("missing table", func(t *testing.T) {
		empty := testdb.New(t)
		conn, err := pgx.Connect(context.Background(), empty.URL)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(context.Background(), `DROP TABLE summary`); err != nil {
			t.Fatal(err)
		}
		conn.Close(context.Background())
		res := p.checkHealth(t, testDBSettings(empty))
		if res.Status != backend.HealthStatusError {
			t.Fatalf("status %v: %s", res.Status, res.Message)
		}
		mustContain(t, res.Message, "Table summary is missing", empty.Name)
	})

	t.Run("unreachable Redis", func(t *testing.T) {
		s := testDBSettings(db)
		s.JSON["redisAddresses"] = []string{"127.0.0.1:1"}
		res := p.checkHealth(t, s)
		if res.Status != backend.HealthStatusError {
			t.Fatalf("status %v: %s", res.Status, res.Message)
		}
		mustContain(t, res.Message, "Redis at 127.0.0.1:1 is unreachable", "degraded")
	})

	t.Run("unreachable PostgreSQL", func(t *testing.T) {
		s := testDBSettings(db)
		s.JSON["host"] = "127.0.0.1:1"
		res := p.checkHealth(t, s)
		if res.Status != backend.HealthStatusError {
			t.Fatalf("status %v: %s", res.Status, res.Message)
		}
		mustContain(t, res.Message, "Cannot reach PostgreSQL at 127.0.0.1:1")
	})

	t.Run("wrong password", func(t *testing.T) {
		srv := testdb.StartPasswordServer(t)
		s := dsSettings{
			JSON:    map[string]any{"host": srv.Addr, "database": "postgres", "user": srv.User, "prewarm": false},
			Secrets: map[string]string{"password": "not-the-password", "redisPassword": "redis-secret-42"},
		}
		res := p.checkHealth(t, s)
		if res.Status != backend.HealthStatusError {
			t.Fatalf("status %v: %s", res.Status, res.Message)
		}
		mustContain(t, res.Message, fmt.Sprintf("PostgreSQL at %s", srv.Addr), `rejected user "pmuser"`)
		for _, secret := range []string{"not-the-password", srv.Password, "redis-secret-42"} {
			if strings.Contains(res.Message, secret) {
				t.Errorf("health message leaks a secret: %s", res.Message)
			}
		}
		// The right password passes the connection step and then finds no Peermetrics tables.
		s.Secrets["password"] = srv.Password
		res = p.checkHealth(t, s)
		mustContain(t, res.Message, "is missing from database")
	})
}
