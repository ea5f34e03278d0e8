package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"math"
	"math/rand"
	"testing"

	"github.com/peermetrics/grafana-datasource/pkg/store"
)

// geoNumSQL is the SQL reader of a geo_ip coordinate that the session breakdown ran per session
// before the plugin read coordinates itself (store.GeoCoord); it stays here as the oracle.
const geoNumSQL = `(CASE WHEN jsonb_typeof(x) = 'number' AND (x)::numeric BETWEEN -1000 AND 1000 THEN (x)::float8
  WHEN jsonb_typeof(x) = 'string' AND (x #>> '{}') ~ '^\s*-?\d{1,3}(\.\d+)?\s*$' THEN (x #>> '{}')::float8 END)`

// The breakdown's latitude and longitude must not change with where the coordinate is read:
// GeoCoord gives what geoNumSQL gives, bit for bit, on hand-picked JSON values and seeded mutations.
func TestGeoCoordMatchesPostgres(t *testing.T) {
	ctx := context.Background()
	conn := oracleConn(t)
	cases := []string{
		`43.6532`, `-79.3832`, `0`, `-0`, `0.0`, `1000`, `-1000`, `1000.0000`, `1000.0000000000000000001`, `-1000.5`,
		`999.99999999999999999999`, `1e3`, `1E-2`, `-1.5e2`, `1e400`, `123456789012345678901234567890`, `0.1`, `90`, `-90.000001`,
		`180.00000000000000000001`, `"43.6532"`, `" 43.6 "`, `"\t-12.5\n"`, `"1000"`, `"999"`, `"999.9999"`, `"-0"`,
		`"+5"`, `"5."`, `".5"`, `"1e2"`, `"12,5"`, `"0x10"`, `"NaN"`, `"Infinity"`, `"  "`, `""`, `"\u00a012"`, `"١٢"`,
		`true`, `false`, `null`, `{}`, `{"a":1}`, `[1]`, `[]`, `"0012.5"`, `"-007"`, `"7\r"`, `"\u000b8\f"`,
	}
	rng := rand.New(rand.NewSource(11))
	for i := 0; i < 20000; i++ {
		f := (rng.Float64()*2 - 1) * math.Pow(10, float64(rng.Intn(6)))
		digits := rng.Intn(25)
		s := fmt.Sprintf("%.*f", digits, f)
		switch rng.Intn(4) {
		case 0: // a number as the SDK sends it
		case 1: // a string holding it, maybe padded
			pad := []string{"", " ", "\t", "  \n"}[rng.Intn(4)]
			b, _ := json.Marshal(pad + s + pad)
			s = string(b)
		case 2: // a mutated string
			r := []byte(s)
			r[rng.Intn(len(r))] = "0123456789.-+ eE"[rng.Intn(16)]
			b, _ := json.Marshal(string(r))
			s = string(b)
		case 3: // an integer near the bounds
			s = fmt.Sprint(rng.Intn(2201) - 1100)
		}
		cases = append(cases, s)
	}
	rows, err := conn.Query(ctx, `SELECT x, `+geoNumSQL+` FROM unnest($1::jsonb[]) x`, cases)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	n, read := 0, 0
	for rows.Next() {
		var raw []byte
		var want *float64
		if err := rows.Scan(&raw, &want); err != nil {
			t.Fatal(err)
		}
		n++
		got, ok := store.GeoCoord(raw)
		switch {
		case ok != (want != nil):
			t.Errorf("%s: GeoCoord %v (ok %v), PostgreSQL %v", raw, got, ok, fmtPtr(want))
		case ok && math.Float64bits(got) != math.Float64bits(*want):
			t.Errorf("%s: GeoCoord %v, PostgreSQL %v", raw, got, *want)
		}
		if want != nil {
			read++
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	if n != len(cases) || read < 1000 || n-read < 1000 {
		t.Fatalf("%d values checked, %d read: the cases do not cover both sides", n, read)
	}
	if _, ok := store.GeoCoord(nil); ok {
		t.Error("SQL NULL must read as no coordinate")
	}
}

func fmtPtr(f *float64) string {
	if f == nil {
		return "NULL"
	}
	return fmt.Sprint(*f)
}
