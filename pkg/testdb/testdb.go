// Package testdb gives tests their own PostgreSQL database with the Peermetrics schema, and the
// address of the Redis server to use. Every test database is new and dropped when the test ends, so
// no test depends on what an earlier run left behind.
//
// Servers come from PM_TEST_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres) and
// PM_TEST_REDIS_ADDR (default 127.0.0.1:6379). A missing server skips the test, except under CI=true,
// where it fails: CI must never go green by skipping the integration tests.
package testdb

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net"
	"net/url"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/peermetrics/grafana-datasource/pkg/schema"
)

// AdminURL is the maintenance connection used to create and drop test databases.
func AdminURL() string {
	if u := os.Getenv("PM_TEST_PG_URL"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// RedisAddr is the Redis server the tests use.
func RedisAddr() string {
	if a := os.Getenv("PM_TEST_REDIS_ADDR"); a != "" {
		return a
	}
	return "127.0.0.1:6379"
}

// unavailable skips, or fails under CI, with a sentence that says how to start the server.
func unavailable(tb testing.TB, what string, err error) {
	tb.Helper()
	msg := fmt.Sprintf("%s is not reachable (%v); start it with `docker compose up -d postgres redis` or see README", what, err)
	if os.Getenv("CI") == "true" {
		tb.Fatal(msg)
	}
	tb.Skip(msg)
}

// RequireRedis returns the Redis address after checking that something listens there.
func RequireRedis(tb testing.TB) string {
	tb.Helper()
	c, err := net.DialTimeout("tcp", RedisAddr(), 2*time.Second)
	if err != nil {
		unavailable(tb, "Redis at "+RedisAddr(), err)
	}
	_ = c.Close()
	return RedisAddr()
}

// DB is one test database.
type DB struct {
	Name string
	URL  string // connection URL of the new database
}

// New creates an empty database holding the Peermetrics schema and drops it when the test ends.
func New(tb testing.TB) *DB {
	tb.Helper()
	db, err := Create(context.Background(), "pmtest")
	if err != nil {
		unavailable(tb, "PostgreSQL at "+redact(AdminURL()), err)
	}
	tb.Cleanup(func() { _ = Drop(context.Background(), db.Name) })
	return db
}

// Create makes a uniquely named database with the schema (for tests, benchmarks and tools).
func Create(ctx context.Context, prefix string) (*DB, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return nil, err
	}
	defer admin.Close(ctx)
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := prefix + "_" + hex.EncodeToString(b)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		return nil, fmt.Errorf("create database %s: %w", name, err)
	}
	u, err := url.Parse(AdminURL())
	if err != nil {
		return nil, err
	}
	u.Path = "/" + name
	db := &DB{Name: name, URL: u.String()}
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		_ = Drop(context.Background(), name)
		return nil, err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, schema.SQL); err != nil {
		_ = Drop(context.Background(), name)
		return nil, fmt.Errorf("apply schema: %w", err)
	}
	return db, nil
}

// Drop removes a database made by Create, closing its connections first.
func Drop(ctx context.Context, name string) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	admin, err := pgx.Connect(ctx, AdminURL())
	if err != nil {
		return err
	}
	defer admin.Close(ctx)
	_, err = admin.Exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)")
	return err
}

// HostPort splits the test server's address for settings that take host and port apart.
func HostPort() (host string, user string) {
	u, err := url.Parse(AdminURL())
	if err != nil {
		return "127.0.0.1:5432", "postgres"
	}
	return u.Host, u.User.Username()
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the configured server"
	}
	return u.Redacted()
}
