package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/metrics"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"
)

// pct is the p-th percentile (nearest rank) of ds; with few runs p95 is the slowest run.
func pct(ds []time.Duration, p float64) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	if p >= 100 {
		return s[len(s)-1]
	}
	if p == 50 && len(s)%2 == 0 {
		return (s[len(s)/2-1] + s[len(s)/2]) / 2
	}
	i := int(float64(len(s))*p/100+0.999999) - 1
	return s[max(0, min(i, len(s)-1))]
}

func last(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	return ds[len(ds)-1]
}

func medianInt(v []int) int {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[len(s)/2]
}

func fmtDur(d time.Duration) string {
	switch {
	case d == 0:
		return "–"
	case d < time.Millisecond:
		return fmt.Sprintf("%.3f ms", float64(d)/1e6)
	case d < 100*time.Millisecond:
		return fmt.Sprintf("%.1f ms", float64(d)/1e6)
	case d < 10*time.Second:
		return fmt.Sprintf("%.0f ms", float64(d)/1e6)
	default:
		return fmt.Sprintf("%.1f s", d.Seconds())
	}
}

func ratio(a, b time.Duration) string {
	if a == 0 || b == 0 {
		return "–"
	}
	r := float64(a) / float64(b)
	switch {
	case r >= 100:
		return fmt.Sprintf("%.0f×", r)
	case r >= 10:
		return fmt.Sprintf("%.1f×", r)
	default:
		return fmt.Sprintf("%.2f×", r)
	}
}

func fmtBytes(n uint64) string {
	switch {
	case n >= 1<<30:
		return fmt.Sprintf("%.2f GiB", float64(n)/(1<<30))
	case n >= 1<<20:
		return fmt.Sprintf("%.1f MiB", float64(n)/(1<<20))
	default:
		return fmt.Sprintf("%.0f KiB", float64(n)/(1<<10))
	}
}

// memSampler keeps the peak of the live heap (runtime/metrics, sampled every 2 ms: cheap, no
// stop-the-world) since the last reset.
type memSampler struct {
	pk   atomic.Uint64
	base atomic.Uint64
	done chan struct{}
	wg   sync.WaitGroup
}

func newMemSampler() *memSampler {
	m := &memSampler{done: make(chan struct{})}
	m.wg.Add(1)
	go func() {
		defer m.wg.Done()
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-m.done:
				return
			case <-t.C:
				metrics.Read(s)
				v := s[0].Value.Uint64()
				for {
					old := m.pk.Load()
					if v <= old || m.pk.CompareAndSwap(old, v) {
						break
					}
				}
			}
		}
	}()
	return m
}

// reset starts a new peak from the current live heap (call it after runtime.GC); peak is the
// growth of the live heap above that base.
func (m *memSampler) reset() {
	s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
	metrics.Read(s)
	m.base.Store(s[0].Value.Uint64())
	m.pk.Store(s[0].Value.Uint64())
}

func (m *memSampler) peak() uint64 {
	time.Sleep(3 * time.Millisecond)
	p, b := m.pk.Load(), m.base.Load()
	if p < b {
		return 0
	}
	return p - b
}
func (m *memSampler) stop() { close(m.done); m.wg.Wait() }

type redisStats struct{ ping, get, get64k time.Duration }

// redisFloor is the median round trip of PING, and of GET of a 1 KiB and a 64 KiB value: no warm
// query can answer faster than one GET.
func redisFloor(ctx context.Context, r *redis.Client) redisStats {
	const n = 300
	measure := func(f func() error) time.Duration {
		var ds []time.Duration
		for i := 0; i < n; i++ {
			s := time.Now()
			if f() != nil {
				return 0
			}
			ds = append(ds, time.Since(s))
		}
		return pct(ds, 50)
	}
	_ = r.Set(ctx, "pmbench:floor:1k", strings.Repeat("x", 1024), time.Minute).Err()
	_ = r.Set(ctx, "pmbench:floor:64k", strings.Repeat("x", 64<<10), time.Minute).Err()
	return redisStats{
		ping:   measure(func() error { return r.Ping(ctx).Err() }),
		get:    measure(func() error { return r.Get(ctx, "pmbench:floor:1k").Err() }),
		get64k: measure(func() error { return r.Get(ctx, "pmbench:floor:64k").Err() }),
	}
}

type machine struct {
	cpu, pg, kernel string
	cores           int
	memGB           float64
	load            string
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func machineInfo(ctx context.Context, p *pgxpool.Pool) machine {
	m := machine{cores: runtime.NumCPU(), load: loadAvg()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if strings.HasPrefix(l, "model name") {
				m.cpu = strings.TrimSpace(strings.SplitN(l, ":", 2)[1])
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb float64
		fmt.Sscanf(strings.TrimPrefix(strings.Split(string(b), "\n")[0], "MemTotal:"), "%f", &kb)
		m.memGB = kb / (1 << 20)
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	_ = p.QueryRow(ctx, "SELECT split_part(version(), ' on ', 1) || ', shared_buffers ' || current_setting('shared_buffers') || ', work_mem ' || current_setting('work_mem') || ', max_parallel_workers_per_gather ' || current_setting('max_parallel_workers_per_gather')").Scan(&m.pg)
	return m
}

type dataset struct {
	rows    [][2]string // table, rows (+ size)
	inRange string
	dbSize  string
}

func datasetInfo(ctx context.Context, p *pgxpool.Pool, from, to time.Time) dataset {
	var d dataset
	for _, t := range []string{"conference", "app_session", "app_connection", "app_issue", "app_genericevent", "summary", "participant"} {
		var n int64
		var size string
		if err := p.QueryRow(ctx, "SELECT count(*), pg_size_pretty(pg_total_relation_size('"+t+"')) FROM "+t).Scan(&n, &size); err == nil {
			d.rows = append(d.rows, [2]string{t, fmt.Sprintf("%d (%s)", n, size)})
		}
	}
	var confs, sess int64
	var first, lastT *time.Time
	_ = p.QueryRow(ctx, `SELECT count(*), min(created_at), max(created_at) FROM conference WHERE created_at >= $1 AND created_at < $2`, from, to).Scan(&confs, &first, &lastT)
	_ = p.QueryRow(ctx, `SELECT count(*) FROM app_session WHERE created_at >= $1 AND created_at < $2`, from, to).Scan(&sess)
	d.inRange = fmt.Sprintf("%d conferences and %d sessions created in the range", confs, sess)
	_ = p.QueryRow(ctx, "SELECT pg_size_pretty(pg_database_size(current_database()))").Scan(&d.dbSize)
	return d
}
