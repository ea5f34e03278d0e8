package seed

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/jackc/pgx/v5"
)

// GenerateURL connects to url and generates the data set (see Generate). With cfg.FastLoad in effect
// it loads over two connections.
func GenerateURL(ctx context.Context, url string, cfg Config) (Stats, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	n := 1
	if cfg.FastLoad {
		n = 2
	}
	var conns []*pgx.Conn
	defer func() {
		for _, c := range conns {
			c.Close(context.Background())
		}
	}()
	for i := 0; i < n; i++ {
		c, err := pgx.Connect(ctx, url)
		if err != nil {
			return nil, fmt.Errorf("seed: connect: %w", err)
		}
		conns = append(conns, c)
	}
	return generate(ctx, conns, cfg)
}

// Generate writes the data set described by cfg into db, which must hold the empty Peermetrics schema
// (nothing is truncated). Rows go in with COPY, in batches, parents before children; each COPY is its
// own transaction, so the deferred foreign keys are checked batch by batch. It ends with ANALYZE.
func Generate(ctx context.Context, db *pgx.Conn, cfg Config) (Stats, error) {
	if err := cfg.validate(); err != nil {
		return nil, err
	}
	return generate(ctx, []*pgx.Conn{db}, cfg)
}

func generate(ctx context.Context, conns []*pgx.Conn, cfg Config) (Stats, error) {
	// Session settings for a bulk load; a role that may not skip triggers loads all the same, on one
	// connection so that parents are always committed before their children.
	fast := cfg.FastLoad
	for _, db := range conns {
		if _, err := db.Exec(ctx, "SET synchronous_commit = off"); err != nil {
			return nil, fmt.Errorf("seed: %w", err)
		}
		if fast {
			if _, err := db.Exec(ctx, "SET session_replication_role = replica"); err != nil {
				fast = false
			}
		}
	}
	defer func() {
		for _, db := range conns {
			_, _ = db.Exec(context.Background(), "RESET session_replication_role")
			_, _ = db.Exec(context.Background(), "RESET synchronous_commit")
		}
	}()
	if !fast {
		conns = conns[:1]
	}
	g := newGen(cfg)
	stats := Stats{}
	for _, t := range Tables {
		stats[t] = 0
	}
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	batches := make(chan *batch, len(conns)+1)
	genErr := make(chan error, 1)
	go func() {
		defer close(batches)
		genErr <- g.run(func(b *batch) error {
			select {
			case batches <- b:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	p := newProgress(cfg.Progress, cfg.Days*cfg.ConferencesPerDay)
	var (
		mu      sync.Mutex
		loadErr error
		wg      sync.WaitGroup
	)
	for _, db := range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for b := range batches {
				mu.Lock()
				failed := loadErr != nil
				mu.Unlock()
				if failed {
					continue // drain so the generator can finish
				}
				var counts [numTables]int64
				for t := 0; t < numTables; t++ {
					rows := b.rows[t]
					if len(rows) == 0 {
						continue
					}
					n, err := db.CopyFrom(ctx, pgx.Identifier{Tables[t]}, columns[t], pgx.CopyFromRows(rows))
					if err != nil {
						mu.Lock()
						if loadErr == nil {
							loadErr = fmt.Errorf("seed: copy into %s: %w", Tables[t], err)
						}
						mu.Unlock()
						cancel()
						break
					}
					counts[t] = n
				}
				mu.Lock()
				for t, n := range counts {
					stats[Tables[t]] += n
				}
				p.update(b.confsDone, stats)
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	if err := <-genErr; err != nil && loadErr == nil && !errors.Is(err, context.Canceled) {
		loadErr = err
	}
	if loadErr != nil {
		return stats, loadErr
	}
	db := conns[0]
	if _, err := db.Exec(ctx, "SELECT setval(pg_get_serial_sequence('participant_conferences', 'id'), $1::bigint, true)", max(int64(g.pcSeq), 1)); err != nil {
		return stats, fmt.Errorf("seed: participant_conferences sequence: %w", err)
	}
	if _, err := db.Exec(ctx, "ANALYZE"); err != nil {
		return stats, fmt.Errorf("seed: analyze: %w", err)
	}
	p.done(stats)
	return stats, nil
}

// progress reports on a terminal as one rewritten line (percent and rows/s); elsewhere as a line per
// ~10 % and one per table at the end. It reads the clock, which only affects what it prints.
type progress struct {
	w       io.Writer
	tty     bool
	total   int
	start   time.Time
	last    time.Time
	lastPct int
	maxDone int
}

func newProgress(w io.Writer, total int) *progress {
	p := &progress{w: w, total: total, start: time.Now(), lastPct: -1}
	if f, ok := w.(*os.File); ok {
		if fi, err := f.Stat(); err == nil && fi.Mode()&os.ModeCharDevice != 0 {
			p.tty = true
		}
	}
	return p
}

func (p *progress) update(done int, s Stats) {
	if p.w == nil {
		return
	}
	p.maxDone = max(p.maxDone, done)
	done = p.maxDone
	pct := done * 100 / max(1, p.total)
	el := time.Since(p.start).Seconds()
	rate := float64(s.Total()) / max(el, 0.001)
	if p.tty {
		if time.Since(p.last) < 200*time.Millisecond && done < p.total {
			return
		}
		p.last = time.Now()
		fmt.Fprintf(p.w, "\r%3d%%  %d/%d conferences  %d rows  %.0f rows/s  ", pct, done, p.total, s.Total(), rate)
		return
	}
	if pct/10 != p.lastPct/10 {
		p.lastPct = pct
		fmt.Fprintf(p.w, "%3d%% %d/%d conferences, %d rows, %.0f rows/s, %.0fs\n", pct, done, p.total, s.Total(), rate, el)
	}
}

func (p *progress) done(s Stats) {
	if p.w == nil {
		return
	}
	if p.tty {
		fmt.Fprintln(p.w)
	}
	el := time.Since(p.start).Seconds()
	for _, t := range Tables {
		fmt.Fprintf(p.w, "loaded %-24s %12d rows\n", t, s[t])
	}
	fmt.Fprintf(p.w, "loaded %d rows in %.1fs (%.0f rows/s)\n", s.Total(), el, float64(s.Total())/max(el, 0.001))
}
