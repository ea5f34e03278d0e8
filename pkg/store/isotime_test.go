package store_test

import (
	"context"
	"fmt"
	"math/rand"
	"testing"

	"github.com/jackc/pgx/v5"

	"github.com/peermetrics/grafana-datasource/pkg/store"
	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

// The setup-time statement validates negotiation times in Go (isoMicros) where other statements
// use the isoTS pattern and a timestamptz cast in PostgreSQL; both must accept the same strings and
// give the same instant, or setup percentiles would differ between the overview and a time series.
// PostgreSQL is the oracle: hand-picked edge cases plus seeded mutations of valid timestamps.
func TestISOMicrosMatchesPostgres(t *testing.T) {
	ctx := context.Background()
	conn := oracleConn(t)
	cases := []string{
		"2026-11-17T00:01:38.637Z", "2026-11-17 00:01:38.637Z", "2026-11-17T00:01:38Z", "2026-11-17T00:01:38",
		"2026-11-17T00:01:38.1234565Z", "2026-11-17T00:01:38.0000005Z", "2026-11-17T00:01:38.0000015Z",
		"2026-11-17T23:59:59.9999996Z", "2026-11-17T00:01:38.", "2026-11-17T00:01:38.5+05", "2026-11-17T00:01:38-0530",
		"2026-11-17T00:01:38+05:30", "2026-11-17T00:01:38+15:59", "2026-11-17T00:01:38+16:00", "2026-11-17T00:01:38+05:",
		"2026-11-17T00:01:38+5", "2026-11-17T00:01:38+05:3", "2026-11-17T00:01:38+05:60", "2026-11-17T00:01:38z",
		"2026-11-17t00:01:38Z", "2026-11-17T24:00:00.000Z", "2026-11-17T23:60:00Z", "2026-11-17T23:59:60Z",
		" 026-11-17T00:01:38.637Z", "2026-11-17T00:01:38.637Z ", "0000-01-01T00:00:00Z", "0001-01-01T00:00:00Z",
		"0001-01-01T00:00:00+15", "9999-12-31T23:59:59.999999-15:59", "2024-02-29T12:00:00Z", "2026-02-29T12:00:00Z",
		"2000-02-29T12:00:00Z", "1900-02-29T12:00:00Z", "0400-02-29T00:00:00Z", "2026-04-31T00:00:00Z",
		"2026-04-30T00:00:00Z", "2026-12-31T00:00:00Z", "2026-13-01T00:00:00Z", "2026-00-10T00:00:00Z",
		"2026-01-00T00:00:00Z", "2026-1-01T00:00:00Z", "２０２６-11-17T00:01:38Z", "2026-11-17T00:01:38.６Z",
		"", "null", "1763337698637", "2026-11-17", "1969-12-31T23:59:59.999999Z", "1600-03-01T00:00:00Z",
	}
	rng := rand.New(rand.NewSource(8))
	const alphabet = "0123456789-:T Z+.x5"
	for i := 0; i < 20000; i++ {
		s := []byte(fmt.Sprintf("%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", rng.Intn(10000), 1+rng.Intn(12), 1+rng.Intn(31),
			rng.Intn(24), rng.Intn(60), rng.Intn(60), rng.Intn(1000)))
		for n := rng.Intn(3); n > 0 && len(s) > 0; n-- {
			switch rng.Intn(4) {
			case 0:
				s[rng.Intn(len(s))] = alphabet[rng.Intn(len(alphabet))]
			case 1:
				s = s[:rng.Intn(len(s))]
			case 2:
				s = append(s[:len(s)-1], []byte([]string{"+05:30", "-1200", "+16", "", "9Z", "+01:"}[rng.Intn(6)])...)
			case 3:
				if len(s) > 10 {
					s[10] = ' '
				}
			}
		}
		cases = append(cases, string(s))
	}
	rows, err := conn.Query(ctx, `SELECT s, s ~ `+store.ISOTS+`,
  CASE WHEN s ~ `+store.ISOTS+` THEN (extract(epoch FROM s::timestamptz) * 1000000)::bigint END
FROM unnest($1::text[]) s`, cases)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	matched, n := 0, 0
	for rows.Next() {
		var s string
		var ok bool
		var micros *int64
		if err := rows.Scan(&s, &ok, &micros); err != nil {
			t.Fatal(err)
		}
		n++
		got, gotOK := store.ISOMicros(s)
		switch {
		case gotOK != ok:
			t.Errorf("%q: isoMicros ok=%v, isoTS matches=%v", s, gotOK, ok)
		case ok && got != *micros:
			t.Errorf("%q: isoMicros %d µs, PostgreSQL %d µs", s, got, *micros)
		}
		if ok {
			matched++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(cases) || matched < 1000 || n-matched < 1000 {
		t.Fatalf("%d strings checked, %d valid: the cases do not cover both sides", n, matched)
	}
}

// oracleConn is a connection to a fresh test database in a UTC session, as the plugin's pool, for
// tests that use PostgreSQL as the oracle of a Go reader.
func oracleConn(t *testing.T) *pgx.Conn {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, testdb.New(t).URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(ctx) })
	if _, err := conn.Exec(ctx, "SET TimeZone = 'UTC'"); err != nil {
		t.Fatal(err)
	}
	return conn
}
