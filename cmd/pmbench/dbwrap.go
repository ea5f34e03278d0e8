package main

import (
	"context"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/peermetrics/grafana-datasource/pkg/store"
)

// stmt is one statement the plugin sent to PostgreSQL.
type stmt struct {
	SQL  string
	Args []any
	Dur  time.Duration // from the call to the end of the rows (or the Scan of a row)
}

// dbMeter wraps the plugin's pool: it counts the statements that reach PostgreSQL and times each
// one from the pgx call to the end of its rows ("database time": execution, transfer and decoding
// in pgx, not the plugin's own frame building or the cache).
type dbMeter struct {
	n     atomic.Int64
	mu    sync.Mutex
	stmts []stmt
}

func (m *dbMeter) wrap(inner store.DB) store.DB { return meteredDB{m: m, inner: inner} }

func (m *dbMeter) record(s stmt) {
	m.mu.Lock()
	m.stmts = append(m.stmts, s)
	m.mu.Unlock()
}

// take returns and clears the statements recorded so far.
func (m *dbMeter) take() []stmt {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.stmts
	m.stmts = nil
	return out
}

type meteredDB struct {
	m     *dbMeter
	inner store.DB
}

func (v meteredDB) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	v.m.n.Add(1)
	start := time.Now()
	rows, err := v.inner.Query(ctx, sql, args...)
	if err != nil {
		v.m.record(stmt{SQL: sql, Args: args, Dur: time.Since(start)})
		return rows, err
	}
	return &meteredRows{Rows: rows, done: func() { v.m.record(stmt{SQL: sql, Args: args, Dur: time.Since(start)}) }}, nil
}

func (v meteredDB) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	v.m.n.Add(1)
	start := time.Now()
	row := v.inner.QueryRow(ctx, sql, args...)
	return meteredRow{row: row, done: func() { v.m.record(stmt{SQL: sql, Args: args, Dur: time.Since(start)}) }}
}

type meteredRows struct {
	pgx.Rows
	once sync.Once
	done func()
}

func (r *meteredRows) Close() {
	r.Rows.Close()
	r.once.Do(r.done)
}

func (r *meteredRows) Next() bool {
	ok := r.Rows.Next()
	if !ok {
		r.once.Do(r.done)
	}
	return ok
}

func (r *meteredRows) CommandTag() pgconn.CommandTag { return r.Rows.CommandTag() }

type meteredRow struct {
	row  pgx.Row
	done func()
}

func (r meteredRow) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	r.done()
	return err
}
