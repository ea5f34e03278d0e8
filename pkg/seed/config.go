package seed

import (
	"fmt"
	"io"
	"strings"
	"time"
)

// Config describes one generated data set. The same Config (Progress aside) always produces the same
// rows, byte for byte.
type Config struct {
	Days              int   // days of data, ending at End
	ConferencesPerDay int   // conferences started per day (ongoing ones included)
	Organizations     int   // organizations (>= 1)
	Apps              int   // apps, spread over the organizations; the last one gets little traffic
	Seed              int64 // seed of every random choice
	// RawStatsDays keeps stats rows (app_genericevent category S, type 'stats') only for conferences
	// created in the last N days and for ongoing ones; older conferences have their time series only
	// in summary.data (as with the API's POST_CONFERENCE_CLEANUP).
	RawStatsDays int
	Summaries    bool      // ended conferences get a summary row with data
	End          time.Time // the data lies in [End-Days, End); must be set (Generate never reads the clock)
	Progress     io.Writer // nil = silent

	// SummaryStep is the minimum time between two snapshots of one connection in summary.data
	// (0 = 30 s); SummaryMaxSnapshots caps the snapshots per connection (0 = 60): a longer
	// connection gets a proportionally larger step.
	SummaryStep         time.Duration
	SummaryMaxSnapshots int

	// FastLoad skips the foreign-key triggers while loading (session_replication_role = replica) when
	// the role may do so; otherwise it is ignored. The rows are consistent by construction and the
	// tests load the tiny profile with the checks on. With FastLoad in effect, GenerateURL loads over
	// two connections (batches in parallel); the rows are the same either way.
	FastLoad bool
}

// TinyEnd is the fixed end of the tiny profile, for tests of other packages.
var TinyEnd = time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)

// Profiles are the named data sets. demo and seed30 leave End zero: set it (pmseed uses now truncated
// to the hour).
var Profiles = map[string]Config{
	// tiny: tests. Small, but the first 30 conferences of every day are assigned the coverage
	// scenarios, so every case the tests look for exists by construction.
	"tiny": {Days: 3, ConferencesPerDay: 40, Organizations: 2, Apps: 3, Seed: 1, RawStatsDays: 1,
		Summaries: true, End: TinyEnd, SummaryStep: 30 * time.Second, SummaryMaxSnapshots: 60},
	// demo: the docker-compose demo data.
	"demo": {Days: 14, ConferencesPerDay: 300, Organizations: 2, Apps: 3, Seed: 42, RawStatsDays: 2,
		Summaries: true, SummaryStep: 30 * time.Second, SummaryMaxSnapshots: 60, FastLoad: true},
	// seed30: the benchmark scale of SPEC §8.
	"seed30": {Days: 30, ConferencesPerDay: 3000, Organizations: 3, Apps: 5, Seed: 30, RawStatsDays: 1,
		Summaries: true, SummaryStep: 120 * time.Second, SummaryMaxSnapshots: 10, FastLoad: true},
}

// Tables lists the tables Generate writes, parents first (the COPY order).
var Tables = []string{
	"organization", "app", "participant", "conference", "participant_conferences", "app_session",
	"app_connection", "app_track", "app_genericevent", "app_issue", "summary",
}

// Stats holds the number of rows written per table.
type Stats map[string]int64

// Total is the number of rows over all tables.
func (s Stats) Total() int64 {
	var n int64
	for _, t := range Tables {
		n += s[t]
	}
	return n
}

// String lists the counts in table order.
func (s Stats) String() string {
	var b strings.Builder
	for _, t := range Tables {
		fmt.Fprintf(&b, "%-24s %12d\n", t, s[t])
	}
	fmt.Fprintf(&b, "%-24s %12d\n", "total", s.Total())
	return b.String()
}

func (c Config) validate() error {
	switch {
	case c.Days < 1:
		return fmt.Errorf("seed: Days must be >= 1")
	case c.ConferencesPerDay < 1:
		return fmt.Errorf("seed: ConferencesPerDay must be >= 1")
	case c.Organizations < 1:
		return fmt.Errorf("seed: Organizations must be >= 1")
	case c.Apps < 1:
		return fmt.Errorf("seed: Apps must be >= 1")
	case c.RawStatsDays < 0:
		return fmt.Errorf("seed: RawStatsDays must be >= 0")
	case c.End.IsZero():
		return fmt.Errorf("seed: End must be set")
	}
	return nil
}
