package plugin

import (
	"context"
	"fmt"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/peermetrics/grafana-datasource/pkg/store"
)

// timeoutQuality answers every fleet-quality statement with PostgreSQL's statement timeout, as a
// large fleet's 30-day quality does, and passes everything else through.
type timeoutQuality struct {
	store.DB
	hits *atomic.Int64
}

func (f timeoutQuality) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if strings.Contains(sql, "qsum AS") {
		f.hits.Add(1)
		return nil, &pgconn.PgError{Code: "57014", Message: "canceling statement due to statement timeout"}
	}
	return f.DB.Query(ctx, sql, args...)
}

// A pre-warm query that hits the statement timeout is left out of the next cycles for an hour
// instead of costing a full timeout of database time every interval; the others keep warming.
func TestPrewarmPausesQueriesThatTimeOut(t *testing.T) {
	db := fixtureDB(t)
	now := day4.Add(2 * time.Hour)
	clk := &fakeClock{t: now}
	d, _ := newTestDS(t, db, uniqueUID(t), nil, clk)
	var hits atomic.Int64
	wrap := d.wrapDB
	d.wrapDB = func(inner store.DB) store.DB { return timeoutQuality{DB: wrap(inner), hits: &hits} }
	w := newPrewarmer(d)

	if res, err := w.runOnce(context.Background()); res != "partial" || err != nil {
		t.Fatalf("first cycle: %s %v (want partial: quality times out, the rest warms)", res, err)
	}
	first := hits.Load()
	if first == 0 {
		t.Fatal("no quality statement was tried")
	}
	clk.Set(now.Add(2 * time.Minute))
	if res, _ := w.runOnce(context.Background()); res != "ok" || hits.Load() != first {
		t.Errorf("second cycle: %s, %d more quality statements, want ok and none", res, hits.Load()-first)
	}
	clk.Set(now.Add(prewarmTimeoutPause + 3*time.Minute))
	w.runOnce(context.Background())
	if hits.Load() == first {
		t.Error("after the pause quality is never tried again")
	}
}

// A query is paused only for a statement timeout of a cycle still running: a cycle cut short (its
// context ended) gets the same SQLSTATE for the statement it cancelled, and must not pause it.
func TestPauseAfter(t *testing.T) {
	timeout := fmt.Errorf("quality: %w", &pgconn.PgError{Code: "57014", Message: "canceling statement due to statement timeout"})
	cut, cancel := context.WithCancel(context.Background())
	cancel()
	for _, tc := range []struct {
		name  string
		cycle context.Context
		err   error
		want  bool
	}{
		{"statement timeout", context.Background(), timeout, true},
		{"cycle cut short", cut, timeout, false},
		{"other database error", context.Background(), &pgconn.PgError{Code: "42P01"}, false},
		{"cancelled", cut, context.Canceled, false},
	} {
		if got := pauseAfter(tc.cycle, tc.err); got != tc.want {
			t.Errorf("%s: pauseAfter = %v, want %v", tc.name, got, tc.want)
		}
	}
}
