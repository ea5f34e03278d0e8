package store_test

import (
	"context"
	"errors"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/peermetrics/grafana-datasource/pkg/store"
)

// TestParallelWhenAlone: a statement that starts while no other statement of the data source runs
// sees parallel_tuple_cost 0.01; one that starts while another's rows are open sees the default
// 0.1; the lowered setting never outlives its statement on the connection; a failed statement, an
// empty QueryRow and rows read to the end all end their statement.
func TestParallelWhenAlone(t *testing.T) {
	ctx := context.Background()
	pool := loadedPool(t)
	db := store.ParallelWhenAlone(pool)
	const show = `SELECT current_setting('parallel_tuple_cost')`
	setting := func(label string, want string) {
		t.Helper()
		var got string
		if err := db.QueryRow(ctx, show).Scan(&got); err != nil {
			t.Fatalf("%s: %v", label, err)
		}
		if got != want {
			t.Errorf("%s: parallel_tuple_cost %s, want %s", label, got, want)
		}
	}
	setting("alone", "0.01")

	// Rows left open: the statement still runs, so the next one is not alone.
	open, err := db.Query(ctx, `SELECT g FROM generate_series(1, 3) g`)
	if err != nil {
		t.Fatal(err)
	}
	setting("beside an open statement", "0.1")
	open.Close()
	setting("after Close", "0.01")

	// Rows read to the end end the statement without Close.
	rows, err := db.Query(ctx, `SELECT g FROM generate_series(1, 3) g`)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for rows.Next() {
		n++
	}
	if n != 3 || rows.Err() != nil {
		t.Fatalf("read %d rows, err %v", n, rows.Err())
	}
	setting("after the last row", "0.01")

	// A failing statement and an empty QueryRow end theirs.
	if _, err := db.Query(ctx, `SELECT * FROM no_such_table`); err == nil {
		t.Fatal("no error for a missing table")
	} else {
		// pgx reports some errors only when the rows are read; either way the statement ends.
		setting("after a failed statement", "0.01")
	}
	var x int
	if err := db.QueryRow(ctx, `SELECT 1 WHERE false`).Scan(&x); !errors.Is(err, pgx.ErrNoRows) {
		t.Fatalf("empty QueryRow: %v, want pgx.ErrNoRows", err)
	}
	setting("after an empty QueryRow", "0.01")

	// SET LOCAL ends with the statement's transaction: the pool's connections keep the default.
	for range 4 {
		var got string
		if err := pool.QueryRow(ctx, show).Scan(&got); err != nil {
			t.Fatal(err)
		}
		if got != "0.1" {
			t.Fatalf("a pool connection kept parallel_tuple_cost %s", got)
		}
	}
}
