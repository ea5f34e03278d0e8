package main

import (
	"fmt"
	"io"
	"os"
	"strings"
	"time"
)

type report struct {
	c           config
	start       time.Time
	finish      time.Time
	machine     machine
	dataset     dataset
	redis       redisStats
	conference  string
	queries     []*queryResult
	dashes      []*dashResult
	loads       []*loadResult
	prewarm     []prewarmCycle
	maxRSS      int64
	endLoad     string
	explainPath string
}

func (r *report) write() error {
	var w io.Writer = os.Stdout
	if r.c.out != "" {
		f, err := os.Create(r.c.out)
		if err != nil {
			return err
		}
		defer f.Close()
		w = f
	}
	p := func(format string, a ...any) { fmt.Fprintf(w, format+"\n", a...) }
	c := r.c
	p("## pmbench: %s, range [%s, %s)", c.label, c.end.Add(-time.Duration(c.days)*24*time.Hour).Format("2006-01-02"), c.end.Format("2006-01-02"))
	p("")
	p("- Machine: %d cores (%s), %.1f GiB RAM, Linux %s; %s. Load average %s at the start, %s at the end.",
		r.machine.cores, r.machine.cpu, r.machine.memGB, r.machine.kernel, r.machine.pg, r.machine.load, r.endLoad)
	p("- Dataset: database %s; %s.", r.dataset.dbSize, r.dataset.inRange)
	var rows []string
	for _, t := range r.dataset.rows {
		rows = append(rows, t[0]+" "+t[1])
	}
	p("- Tables: %s.", strings.Join(rows, "; "))
	p("- Runs: %d cold and %d×%d warm per query and per dashboard (p95 of %d runs = nearest rank, i.e. the slowest run when runs < 20); queries slower than %s on their first cold run measured once and left out of the dashboard and load runs. Started %s, took %s.",
		c.runs, c.runs, c.warmRuns, c.runs, c.slow, r.start.UTC().Format(time.RFC3339), r.finish.Sub(r.start).Round(time.Second))
	cold := "new data source instance, new settings version, Redis DB %d flushed, pool opened by a health check"
	if c.coldRunning {
		cold = "`-cold running`: one data source instance for the whole benchmark (pool kept), Redis DB %d flushed before each cold run"
	}
	p("- Cold = "+cold+"; warm = the same instance again (Redis hit). PostgreSQL's buffers are warm in both (no restart between runs). Plain SQL = plainsql.go on a plain pgx pool, %d connections, no cache.", c.redisDB, c.maxConns)
	p("- Redis floor (median of 300): PING %s, GET 1 KiB %s, GET 64 KiB %s.", fmtDur(r.redis.ping), fmtDur(r.redis.get), fmtDur(r.redis.get64k))
	p("- Plugin process: peak RSS %s (getrusage, the whole benchmark incl. plain SQL rows).", fmtBytes(uint64(r.maxRSS)))
	if r.conference != "" {
		p("- Conference dashboard: conference %s.", r.conference)
	}
	p("")
	for _, dash := range c.dashboards {
		p("### Per query: %s (each query alone)", dash)
		p("")
		p("| query | panels | cold p50 | cold p95 | warm p50 | warm p95 | warm/cold | DB time p50 | stmts | peak heap growth | plain p50 | plain p95 | plugin cold / plain | plain / warm |")
		p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
		for _, q := range r.queries {
			if q.dash != dash {
				continue
			}
			name := q.q.Name
			if q.err != "" {
				p("| %s | %d | error: %s | | | | | | | | %s | | | |", name, len(q.q.Panels), q.err, fmtDur(pct(q.plain, 50)))
				continue
			}
			cp50, wp50, pp50 := pct(q.cold, 50), pct(q.warm, 50), pct(q.plain, 50)
			note := ""
			if q.plainNote != "" {
				note = " (" + q.plainNote + ")"
			}
			if q.slow {
				name += " (1 run)"
			}
			p("| %s | %d | %s | %s | %s | %s | %s | %s | %d | %s | %s%s | %s | %s | %s |", name, len(q.q.Panels),
				fmtDur(cp50), fmtDur(pct(q.cold, 95)), fmtDur(wp50), fmtDur(pct(q.warm, 95)), ratioInv(wp50, cp50),
				fmtDur(pct(q.db, 50)), medianInt(q.stmts), fmtBytes(q.peakHeap), fmtDur(pp50), note, fmtDur(pct(q.plain, 95)),
				ratio(cp50, pp50), ratio(pp50, wp50))
		}
		p("")
	}
	p("### Per dashboard (all panels at once, one QueryData call per panel, as Grafana sends them)")
	p("")
	p("| dashboard | panels (distinct queries) | cold p50 | cold p95 | warm p50 | warm p95 | warm/cold | DB stmts per cold load | DB time (sum) p50 | peak heap growth | plain p50 | plain p95 | plugin cold / plain | plain / warm | errors |")
	p("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|")
	for _, d := range r.dashes {
		name := d.name
		if len(d.left) > 0 {
			name += " without " + strings.Join(d.left, ", ")
		}
		cp50, wp50, pp50 := pct(d.cold, 50), pct(d.warm, 50), pct(d.plain, 50)
		p("| %s | %d (%d) | %s | %s | %s | %s | %s | %d | %s | %s | %s | %s | %s | %s | %d |", name, d.panels, d.distinct,
			fmtDur(cp50), fmtDur(pct(d.cold, 95)), fmtDur(wp50), fmtDur(pct(d.warm, 95)), ratioInv(wp50, cp50),
			medianInt(d.stmts), fmtDur(pct(d.db, 50)), fmtBytes(d.peakHeap), fmtDur(pp50), fmtDur(pct(d.plain, 95)),
			ratio(cp50, pp50), ratio(pp50, wp50), d.errs)
	}
	p("")
	if len(r.loads) > 0 {
		p("### Load: N concurrent cold loads of one dashboard (one new instance, empty cache)")
		p("")
		p("| dashboard | N | load p50 | load p95 | load p99 | slowest | statements to PostgreSQL | distinct statements | peak heap growth | errors |")
		p("|---|---|---|---|---|---|---|---|---|---|")
		for _, l := range r.loads {
			name := l.dash
			if len(l.left) > 0 {
				name += " without " + strings.Join(l.left, ", ")
			}
			p("| %s | %d | %s | %s | %s | %s | %d | %d | %s | %d |", name, l.n, fmtDur(pct(l.lat, 50)), fmtDur(pct(l.lat, 95)),
				fmtDur(pct(l.lat, 99)), fmtDur(pct(l.lat, 100)), l.stmts, l.distinctStmts, fmtBytes(l.peakHeap), l.errs)
		}
		p("")
	}
	if len(r.prewarm) > 0 {
		p("### Pre-warming as deployed (prewarmIntervalSeconds %d, the product's statement timeout, clock at the range's end)", c.prewarmInterval)
		p("")
		p("| cycle | result | duration | statements to PostgreSQL | DB time (sum) | ended after |")
		p("|---|---|---|---|---|---|")
		for i, pc := range r.prewarm {
			p("| %d | %s | %s | %d | %s | %s |", i+1, pc.result, fmtDur(pc.dur), pc.stmts, fmtDur(pc.dbTime), fmtDur(pc.sinceStarted))
		}
		p("")
	}
	if r.explainPath != "" {
		p("EXPLAIN (ANALYZE, BUFFERS) of the slowest plugin statements: `%s`.", r.explainPath)
		p("")
	}
	var notes []string
	for qt, n := range plainNotes {
		notes = append(notes, "`"+qt+"`: "+n)
	}
	p("Plain SQL differences: %s.", strings.Join(sortStrings(notes), "; "))
	return nil
}

// ratioInv writes a/b as a fraction ("0.004") with its speed-up.
func ratioInv(a, b time.Duration) string {
	if a == 0 || b == 0 {
		return "–"
	}
	return fmt.Sprintf("1/%s", strings.TrimSuffix(ratio(b, a), "×")) + ""
}

func sortStrings(s []string) []string {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
	return s
}
