// Command pmseed fills a Peermetrics database with deterministic generated data (package seed):
// a profile (tiny, demo, seed30) and flags that override its fields.
//
//	pmseed -profile demo -create-schema -wait 60 -if-empty
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"os/signal"
	"sort"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/peermetrics/grafana-datasource/pkg/schema"
	"github.com/peermetrics/grafana-datasource/pkg/seed"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pmseed:", err)
		os.Exit(1)
	}
}

func run() error {
	defURL := os.Getenv("DATABASE_URL")
	if defURL == "" {
		defURL = "postgres://postgres@127.0.0.1:5432/peermetrics?sslmode=disable"
	}
	names := make([]string, 0, len(seed.Profiles))
	for n := range seed.Profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	fs := flag.NewFlagSet("pmseed", flag.ContinueOnError)
	dbURL := fs.String("db", defURL, "PostgreSQL URL (default $DATABASE_URL)")
	profile := fs.String("profile", "demo", "profile: "+strings.Join(names, "|"))
	days := fs.Int("days", 0, "days of data (overrides the profile)")
	perDay := fs.Int("conferences-per-day", 0, "conferences per day (overrides the profile)")
	orgs := fs.Int("orgs", 0, "organizations (overrides the profile)")
	apps := fs.Int("apps", 0, "apps (overrides the profile)")
	seedV := fs.Int64("seed", 0, "random seed (overrides the profile)")
	raw := fs.Int("raw-stats-days", 0, "keep raw stats rows for conferences of the last N days (overrides the profile)")
	sums := fs.Bool("summaries", true, "write summaries of ended conferences (overrides the profile)")
	endS := fs.String("end", "", "end of the data, RFC3339 (default: now truncated to the hour; tiny: its fixed end)")
	create := fs.Bool("create-schema", false, "apply the Peermetrics schema when its tables do not exist")
	wait := fs.Int("wait", 0, "retry connecting for up to N seconds")
	ifEmpty := fs.Bool("if-empty", false, "do nothing when the conference table already has rows")
	if err := fs.Parse(os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return nil
		}
		return err
	}
	cfg, ok := seed.Profiles[*profile]
	if !ok {
		return fmt.Errorf("unknown profile %q (want %s)", *profile, strings.Join(names, ", "))
	}
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { set[f.Name] = true })
	if set["days"] {
		cfg.Days = *days
	}
	if set["conferences-per-day"] {
		cfg.ConferencesPerDay = *perDay
	}
	if set["orgs"] {
		cfg.Organizations = *orgs
	}
	if set["apps"] {
		cfg.Apps = *apps
	}
	if set["seed"] {
		cfg.Seed = *seedV
	}
	if set["raw-stats-days"] {
		cfg.RawStatsDays = *raw
	}
	if set["summaries"] {
		cfg.Summaries = *sums
	}
	switch {
	case *endS != "":
		t, err := time.Parse(time.RFC3339, *endS)
		if err != nil {
			return fmt.Errorf("-end: %w", err)
		}
		cfg.End = t.UTC()
	case cfg.End.IsZero():
		cfg.End = time.Now().UTC().Truncate(time.Hour)
	}
	cfg.Progress = os.Stderr

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	conn, err := connect(ctx, *dbURL, time.Duration(*wait)*time.Second)
	if err != nil {
		return err
	}
	defer func() { _ = conn.Close(context.Background()) }()

	var exists bool
	if err := conn.QueryRow(ctx, "SELECT to_regclass('conference') IS NOT NULL").Scan(&exists); err != nil {
		return err
	}
	if !exists {
		if !*create {
			return fmt.Errorf("table conference does not exist in %s: run with -create-schema", redact(*dbURL))
		}
		if _, err := conn.Exec(ctx, schema.SQL); err != nil {
			return fmt.Errorf("create schema: %w", err)
		}
		fmt.Fprintln(os.Stderr, "pmseed: schema created")
	}
	if *ifEmpty {
		var has bool
		if err := conn.QueryRow(ctx, "SELECT EXISTS (SELECT 1 FROM conference)").Scan(&has); err != nil {
			return err
		}
		if has {
			fmt.Fprintln(os.Stderr, "pmseed: conference already has rows; nothing to do (-if-empty)")
			return nil
		}
	}
	fmt.Fprintf(os.Stderr, "pmseed: profile %s: %d days x %d conferences/day, %d orgs, %d apps, seed %d, raw stats %d days, summaries %v, end %s\n",
		*profile, cfg.Days, cfg.ConferencesPerDay, cfg.Organizations, cfg.Apps, cfg.Seed, cfg.RawStatsDays, cfg.Summaries, cfg.End.Format(time.RFC3339))
	conn.Close(ctx)
	start := time.Now()
	st, err := seed.GenerateURL(ctx, *dbURL, cfg)
	if err != nil {
		return err
	}
	fmt.Printf("rows per table (%s):\n%s", time.Since(start).Round(time.Second), st)
	return nil
}

func connect(ctx context.Context, u string, wait time.Duration) (*pgx.Conn, error) {
	deadline := time.Now().Add(wait)
	for {
		c, err := pgx.Connect(ctx, u)
		if err == nil {
			return c, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, fmt.Errorf("connect to %s: %w", redact(u), err)
		}
		fmt.Fprintf(os.Stderr, "pmseed: waiting for %s: %v\n", redact(u), err)
		select {
		case <-time.After(time.Second):
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
}

func redact(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "the database"
	}
	return u.Redacted()
}
