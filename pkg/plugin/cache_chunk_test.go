package plugin

import (
	"testing"
	"time"
)

// A cold fleet-quality load over three days runs one statement set per day (each far below the
// statement timeout at scale), caches every completed day, and the next load sends nothing.
func TestQualityComputedDayByDay(t *testing.T) {
	db := fixtureDB(t)
	clk := &fakeClock{}
	clk.Set(time.Date(2026, 11, 10, 0, 0, 0, 0, time.UTC))
	body := `{"queryType":"quality"}`
	from, to := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC), time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC)

	// One day alone: how many statements one store run of quality sends.
	d1, c1 := newTestDS(t, db, uniqueUID(t), nil, clk)
	runOne(t, d1, dq("A", body, from, from.Add(24*time.Hour), time.Hour))
	perDay := c1.count()
	if perDay == 0 {
		t.Fatal("a cold load sent no statement")
	}

	d, c := newTestDS(t, db, uniqueUID(t), nil, clk)
	fs, st := runOne(t, d, dq("A", body, from, to, time.Hour))
	if st != "miss" || c.count() != 3*perDay {
		t.Fatalf("cold 3-day load: %s, %d statements, want 3 × %d", st, c.count(), perDay)
	}
	for _, call := range c.calls {
		if a := call.timeArgs(); a[len(a)-1].Sub(a[0]) > 49*time.Hour {
			t.Errorf("a statement spans %v (lookbacks included), more than one day", a[len(a)-1].Sub(a[0]))
		}
	}
	if fs[0].Rows() != 72 {
		t.Errorf("%d hourly buckets, want 72", fs[0].Rows())
	}
	before := c.count()
	if _, st := runOne(t, d, dq("B", body, from, to, time.Hour)); st != "hit" || c.count() != before {
		t.Errorf("second load: %s with %d more statements", st, c.count()-before)
	}
}
