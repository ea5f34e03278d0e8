// Command pmbench measures the plugin's QueryData path on a generated Peermetrics database: every
// panel query of the provisioned dashboards cold (a new data source instance, new settings version,
// empty Redis DB) and warm (the same instance again), the equivalent plain SQL (what a Grafana user
// would write in Grafana's PostgreSQL data source, plainsql.go), the database time, the plugin's
// peak memory and the Redis round trip as the floor; then N concurrent cold dashboard loads.
//
//	go run ./cmd/pmbench -db postgres://postgres@127.0.0.1:5432/pm_seed30 -redis 127.0.0.1:6379 -redis-db 5 \
//	    -end 2026-11-24T00:00:00Z -days 30 -runs 3 -concurrency 1,10,50 -out /tmp/pmbench-seed30.md
//
// The Redis DB given by -redis-db is flushed before every cold measurement: give it one of its own.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"net/url"
	"os"
	"runtime"
	"runtime/pprof"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/redis/go-redis/v9"

	"github.com/peermetrics/grafana-datasource/pkg/plugin"
	"github.com/peermetrics/grafana-datasource/pkg/settings"
)

type config struct {
	dbURL, redisAddr string
	redisDB          int
	runs, warmRuns   int
	dashDir          string
	dashboards       []string
	conc             []int
	loadDash         string
	end              time.Time
	days             int
	out              string
	timeout          int
	maxConns         int
	slow             time.Duration
	conference       string
	explain          int
	explainOut       string
	explainOnly      map[string]bool
	skip, only       map[string]bool
	onlyLoad         bool
	coldRunning      bool
	prewarmCycles    int
	prewarmInterval  int
	cpuprofile       string
	label            string
}

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "pmbench:", err)
		os.Exit(1)
	}
}

func run() error {
	var c config
	var dashes, conc, end string
	flag.StringVar(&c.dbURL, "db", "postgres://postgres@127.0.0.1:5432/pm_seed30", "PostgreSQL URL of a generated database (read only)")
	flag.StringVar(&c.redisAddr, "redis", "127.0.0.1:6379", "Redis address (the plugin's cache)")
	flag.IntVar(&c.redisDB, "redis-db", 5, "Redis DB of the benchmark; FLUSHED before every cold measurement")
	flag.IntVar(&c.runs, "runs", 5, "cold runs per query and per dashboard (median and p95 over them)")
	flag.IntVar(&c.warmRuns, "warm-runs", 20, "warm runs per query and per dashboard")
	flag.StringVar(&c.dashDir, "dashboard-dir", "provisioning/dashboards/peermetrics", "directory of the provisioned dashboards")
	flag.StringVar(&dashes, "dashboards", "overview,conference", "dashboards to benchmark")
	flag.StringVar(&conc, "concurrency", "1,10,50", "concurrent cold dashboard loads of the load run (empty: no load run)")
	flag.StringVar(&c.loadDash, "load-dashboard", "overview", "dashboard of the load run")
	flag.StringVar(&end, "end", "2026-11-24T00:00:00Z", "end of the dataset (RFC 3339); the range is [end-days, end)")
	flag.IntVar(&c.days, "days", 30, "length of the range in days")
	flag.StringVar(&c.out, "out", "", "write the markdown report here (default stdout)")
	flag.IntVar(&c.timeout, "query-timeout", 600, "statement timeout of the plugin and of the plain SQL, seconds")
	flag.IntVar(&c.maxConns, "max-conns", 10, "pool size of the plugin (its default) and of the plain SQL connection")
	flag.DurationVar(&c.slow, "slow", 20*time.Second, "a query whose first cold run takes longer is measured once and left out of the dashboard and load runs")
	flag.StringVar(&c.conference, "conference", "", "conference uuid of the conference dashboard (default: the ended conference of the last day with most connections)")
	flag.IntVar(&c.explain, "explain", 0, "EXPLAIN (ANALYZE, BUFFERS) the N slowest plugin statements into -explain-out")
	flag.StringVar(&c.explainOut, "explain-out", "", "file of the EXPLAIN output (default: -out with .explain.txt)")
	var explainOnly string
	flag.StringVar(&explainOnly, "explain-queries", "", "comma-separated queries (as named in the report, e.g. breakdown/browser) to which -explain is limited")
	flag.BoolVar(&c.onlyLoad, "only-load", false, "run only the load runs (-concurrency): no per-query or per-dashboard runs, no plain SQL")
	var skip, only string
	flag.StringVar(&skip, "skip", "", "comma-separated queries (as named in the report, e.g. quality,overview/mosP50) left out of every run")
	flag.StringVar(&only, "only", "", "comma-separated queries (as named in the report) to run; every other is left out as with -skip")
	flag.StringVar(&c.cpuprofile, "cpuprofile", "", "write a CPU profile of the benchmark process")
	flag.StringVar(&c.label, "label", "", "dataset label of the report (default: the database name)")
	flag.IntVar(&c.prewarmCycles, "prewarm-cycles", 0, "after the other runs, run the plugin's pre-warmer as deployed (clock at -end) for N cycles and report what each cost")
	flag.IntVar(&c.prewarmInterval, "prewarm-interval", 60, "prewarmIntervalSeconds of -prewarm-cycles (the product default)")
	var cold string
	flag.StringVar(&cold, "cold", "new", "instance of a cold run: new (a new data source and pool, as after \"Save & test\") or running (one data source for the whole benchmark, its cache emptied before each cold run)")
	flag.Parse()
	if cold != "new" && cold != "running" {
		return errors.New("-cold must be new or running")
	}
	c.coldRunning = cold == "running"
	var err error
	if c.end, err = time.Parse(time.RFC3339, end); err != nil {
		return fmt.Errorf("-end: %w", err)
	}
	for _, d := range strings.Split(dashes, ",") {
		if d = strings.TrimSpace(d); d != "" {
			c.dashboards = append(c.dashboards, d)
		}
	}
	for _, s := range strings.Split(conc, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		n, err := strconv.Atoi(s)
		if err != nil || n < 1 {
			return fmt.Errorf("-concurrency: %q is not a positive number", s)
		}
		c.conc = append(c.conc, n)
	}
	c.explainOnly = nameSet(explainOnly)
	c.skip, c.only = nameSet(skip), nameSet(only)
	if c.runs < 1 || c.warmRuns < 1 {
		return errors.New("-runs and -warm-runs must be at least 1")
	}
	if c.cpuprofile != "" {
		f, err := os.Create(c.cpuprofile)
		if err != nil {
			return err
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			return err
		}
		defer pprof.StopCPUProfile()
	}
	b, err := newBench(c)
	if err != nil {
		return err
	}
	defer b.close()
	return b.run()
}

type bench struct {
	c        config
	ctx      context.Context
	jsonBase map[string]any
	password string
	version  int64
	// running is the one data source of -cold running, kept for the whole benchmark.
	running      *plugin.Datasource
	runningMeter *dbMeter
	plain        *pgxpool.Pool
	rdb          *redis.Client
	from, to     time.Time
	mem          *memSampler
	rep          *report
}

func newBench(c config) (*bench, error) {
	u, err := url.Parse(c.dbURL)
	if err != nil {
		return nil, fmt.Errorf("-db: %w", err)
	}
	pw, _ := u.User.Password()
	dbName := strings.TrimPrefix(u.Path, "/")
	if c.label == "" {
		c.label = dbName
	}
	ctx := context.Background()
	pcfg, err := pgxpool.ParseConfig(c.dbURL)
	if err != nil {
		return nil, err
	}
	pcfg.MaxConns = int32(c.maxConns)
	rp := pcfg.ConnConfig.RuntimeParams
	rp["application_name"] = "pmbench-plain-sql"
	rp["default_transaction_read_only"] = "on"
	rp["statement_timeout"] = strconv.Itoa(c.timeout * 1000)
	rp["TimeZone"] = "UTC"
	// Grafana's PostgreSQL data source writes the range into the SQL, so each statement is planned
	// with its values; a prepared statement reused by pgx could get a generic plan instead.
	rp["plan_cache_mode"] = "force_custom_plan"
	plain, err := pgxpool.NewWithConfig(ctx, pcfg)
	if err != nil {
		return nil, err
	}
	if err := plain.Ping(ctx); err != nil {
		return nil, fmt.Errorf("PostgreSQL at %s: %w", u.Host, err)
	}
	rdb := redis.NewClient(&redis.Options{Addr: c.redisAddr, DB: c.redisDB})
	if err := rdb.Ping(ctx).Err(); err != nil {
		return nil, fmt.Errorf("Redis at %s: %w", c.redisAddr, err)
	}
	b := &bench{c: c, ctx: ctx, password: pw, plain: plain, rdb: rdb,
		from: c.end.Add(-time.Duration(c.days) * 24 * time.Hour), to: c.end, mem: newMemSampler()}
	b.jsonBase = map[string]any{"host": u.Host, "database": dbName, "user": u.User.Username(), "sslMode": "disable",
		"prewarm": false, "appIds": []string{}, "redisAddresses": []string{c.redisAddr}, "redisDB": c.redisDB,
		"queryTimeoutSeconds": c.timeout, "maxConns": c.maxConns}
	b.version = time.Now().UnixNano()
	b.rep = &report{c: c, start: time.Now()}
	return b, nil
}

func (b *bench) close() {
	if b.running != nil {
		b.running.Dispose()
	}
	b.mem.stop()
	b.plain.Close()
	_ = b.rdb.Close()
}

func logf(format string, a ...any) {
	fmt.Fprintf(os.Stderr, "%s pmbench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, a...))
}

// instance is a cold data source: a new settings version (so a new cache key space), an empty
// Redis DB, a new pool opened by a health check (as after "Save & test"), no pre-warming.
//
// With -cold running, every cold run uses the same instance instead, its cache emptied (Redis
// flushed) but its pool kept: a running Grafana whose cache does not hold the range, as when a
// dashboard asks for a range or filter nobody asked for in the last minutes.
func (b *bench) instance() (*plugin.Datasource, *dbMeter, error) {
	if err := b.rdb.FlushDB(b.ctx).Err(); err != nil {
		return nil, nil, fmt.Errorf("flush Redis DB %d: %w", b.c.redisDB, err)
	}
	if b.running != nil {
		b.runningMeter.take()
		return b.running, b.runningMeter, nil
	}
	b.version++
	raw, _ := json.Marshal(b.jsonBase)
	s, err := settings.Load(backend.DataSourceInstanceSettings{UID: "pmbench", Updated: time.Unix(0, b.version),
		JSONData: raw, DecryptedSecureJSONData: map[string]string{"password": b.password}})
	if err != nil {
		return nil, nil, err
	}
	m := &dbMeter{}
	d := plugin.NewBenchDatasource(s, plugin.BenchOptions{WrapDB: m.wrap, NoPrewarm: true})
	res, err := d.CheckHealth(b.ctx, &backend.CheckHealthRequest{})
	if err != nil {
		return nil, nil, err
	}
	if res.Status == backend.HealthStatusError {
		return nil, nil, fmt.Errorf("health check: %s", res.Message)
	}
	if b.c.coldRunning {
		b.running, b.runningMeter = d, m
	}
	return d, m, nil
}

// release disposes of a cold run's instance unless it is the running one of -cold running.
func (b *bench) release(d *plugin.Datasource) {
	if d != b.running {
		d.Dispose()
	}
}

// result of one QueryData call with one query.
type qres struct {
	dur    time.Duration
	status string
	err    error
}

func (b *bench) query(d *plugin.Datasource, body []byte, qt string) qres {
	q := dataQuery(body, qt, b.from, b.to)
	start := time.Now()
	resp, err := d.QueryData(b.ctx, &backend.QueryDataRequest{Queries: []backend.DataQuery{q}})
	r := qres{dur: time.Since(start), err: err}
	if err == nil {
		dr := resp.Responses[q.RefID]
		if dr.Error != nil {
			r.err = dr.Error
		} else if len(dr.Frames) > 0 && dr.Frames[0].Meta != nil {
			if m, ok := dr.Frames[0].Meta.Custom.(map[string]any); ok {
				r.status, _ = m["cache"].(string)
			}
		}
	}
	return r
}

func (b *bench) run() error {
	b.rep.machine = machineInfo(b.ctx, b.plain)
	b.rep.dataset = datasetInfo(b.ctx, b.plain, b.from, b.to)
	b.rep.redis = redisFloor(b.ctx, b.rdb)
	logf("dataset %s, range %s – %s; Redis floor PING %s, GET %s", b.c.label, b.from.Format(time.RFC3339), b.to.Format(time.RFC3339),
		fmtDur(b.rep.redis.ping), fmtDur(b.rep.redis.get))
	conf := b.c.conference
	if conf == "" {
		err := b.plain.QueryRow(b.ctx, `SELECT c.id::text FROM conference c
  WHERE c.is_active AND NOT c.ongoing AND c.created_at >= $1 AND c.created_at < $2
  ORDER BY (SELECT count(*) FROM app_connection cn WHERE cn.conference_id = c.id) DESC, c.id LIMIT 1`,
			b.to.Add(-24*time.Hour), b.to).Scan(&conf)
		if err != nil {
			return fmt.Errorf("pick a conference: %w", err)
		}
	}
	b.rep.conference = conf
	vars := map[string]string{"app": " ", "conference": conf}
	var dashes []*dashboard
	for _, name := range b.c.dashboards {
		d, err := loadDashboard(b.c.dashDir, name, vars)
		if err != nil {
			return err
		}
		dashes = append(dashes, d)
	}
	slow := map[string]bool{}
	for _, d := range dashes {
		if b.c.onlyLoad {
			for _, q := range d.Distinct {
				slow[q.Key] = b.c.skipped(q.Name)
			}
			continue
		}
		qs, err := b.perQuery(d, conf)
		if err != nil {
			return err
		}
		for _, q := range d.Distinct {
			if b.c.skipped(q.Name) {
				slow[q.Key] = true
			}
		}
		for _, q := range qs {
			if q.slow {
				slow[q.q.Key] = true
			}
		}
		b.rep.queries = append(b.rep.queries, qs...)
	}
	for _, d := range dashes {
		if b.c.onlyLoad {
			break
		}
		dr, err := b.perDashboard(d, conf, slow)
		if err != nil {
			return err
		}
		b.rep.dashes = append(b.rep.dashes, dr)
	}
	if len(b.c.conc) > 0 {
		var ld *dashboard
		for _, d := range dashes {
			if d.Name == b.c.loadDash {
				ld = d
			}
		}
		if ld == nil {
			return fmt.Errorf("-load-dashboard %s is not among -dashboards", b.c.loadDash)
		}
		for _, n := range b.c.conc {
			lr, err := b.load(ld, n, slow)
			if err != nil {
				return err
			}
			b.rep.loads = append(b.rep.loads, lr)
		}
	}
	if b.c.prewarmCycles > 0 {
		if err := b.prewarm(b.c.prewarmCycles); err != nil {
			return err
		}
	}
	if b.c.explain > 0 {
		if err := b.explain(); err != nil {
			logf("explain: %v", err)
		}
	}
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	b.rep.maxRSS = ru.Maxrss * 1024
	b.rep.endLoad = loadAvg()
	b.rep.finish = time.Now()
	return b.rep.write()
}

// queryResult is the per-query measurement of one distinct query.
type queryResult struct {
	dash       string
	q          *distinctQuery
	cold       []time.Duration
	warm       []time.Duration
	db         []time.Duration // database time of each cold run
	stmts      []int           // statements of each cold run
	plain      []time.Duration
	plainNote  string
	plainStmts int
	peakHeap   uint64 // peak live heap during the cold runs
	err        string
	slow       bool
	recorded   []stmt // the statements of the first cold run
}

func (b *bench) perQuery(d *dashboard, conf string) ([]*queryResult, error) {
	var out []*queryResult
	for _, q := range d.Distinct {
		if b.c.skipped(q.Name) {
			logf("%s/%s: skipped (-skip, -only)", d.Name, q.Name)
			continue
		}
		r := &queryResult{dash: d.Name, q: q}
		out = append(out, r)
		plain := plainFor(q)
		r.plainStmts = len(plain)
		if plain == nil {
			r.plainNote = "plugin's statements replayed"
		}
		runs := b.c.runs
		for i := 0; i < runs; i++ {
			// Alternate which goes first so neither profits systematically from PostgreSQL's buffers.
			if i%2 == 1 {
				b.runPlain(r, plain, conf)
			}
			inst, m, err := b.instance()
			if err != nil {
				return nil, err
			}
			runtime.GC()
			b.mem.reset()
			res := b.query(inst, q.Body, q.QueryType)
			peak := b.mem.peak()
			st := m.take()
			if i == 0 {
				r.recorded = st
			}
			var dbt time.Duration
			for _, s := range st {
				dbt += s.Dur
			}
			if res.err != nil {
				r.err = firstLine(res.err.Error())
				logf("%s/%s cold: error after %s: %s", d.Name, q.Name, fmtDur(res.dur), r.err)
				b.release(inst)
				break
			}
			if res.status != "miss" {
				logf("%s/%s: cold run was %q, not a miss", d.Name, q.Name, res.status)
			}
			r.cold, r.db, r.stmts = append(r.cold, res.dur), append(r.db, dbt), append(r.stmts, len(st))
			r.peakHeap = max(r.peakHeap, peak)
			for w := 0; w < b.c.warmRuns; w++ {
				wr := b.query(inst, q.Body, q.QueryType)
				if wr.err == nil && wr.status == "hit" {
					r.warm = append(r.warm, wr.dur)
				} else if w == 0 {
					logf("%s/%s warm: status %q err %v", d.Name, q.Name, wr.status, wr.err)
				}
			}
			if n := len(m.take()); n > 0 {
				logf("%s/%s: %d statements reached PostgreSQL on warm runs", d.Name, q.Name, n)
			}
			b.release(inst)
			if i%2 == 0 {
				b.runPlain(r, plain, conf)
			}
			logf("%s/%s run %d: cold %s (db %s, %d stmts), warm p50 %s, plain %s", d.Name, q.Name, i+1,
				fmtDur(res.dur), fmtDur(dbt), len(st), fmtDur(pct(r.warm, 50)), fmtDur(last(r.plain)))
			if i == 0 && res.dur > b.c.slow {
				r.slow = true
				runs = 1
				logf("%s/%s is slow (%s > %s): one run, left out of the dashboard and load runs", d.Name, q.Name, fmtDur(res.dur), b.c.slow)
			}
		}
		if r.err != "" {
			r.slow = true
		}
	}
	return out, nil
}

func (b *bench) plainArgs(s plainStmt, conf string) []any {
	if s.Conf {
		return []any{conf}
	}
	return []any{b.from, b.to}
}

// runPlain runs the plain statements of one query one after another (or replays the plugin's
// statements when there are none) and records their total.
func (b *bench) runPlain(r *queryResult, plain []plainStmt, conf string) {
	start := time.Now()
	var err error
	if plain != nil {
		for _, s := range plain {
			if err = drain(b.ctx, b.plain, s.SQL, b.plainArgs(s, conf)...); err != nil {
				break
			}
		}
	} else {
		if r.recorded == nil {
			return // runs after the first cold run, which records the statements
		}
		for _, s := range r.recorded {
			if err = drain(b.ctx, b.plain, s.SQL, s.Args...); err != nil {
				break
			}
		}
	}
	if err != nil {
		r.plainNote = "error: " + firstLine(err.Error())
		logf("%s/%s plain: %v", r.dash, r.q.Name, err)
		return
	}
	r.plain = append(r.plain, time.Since(start))
}

func drain(ctx context.Context, p *pgxpool.Pool, sql string, args ...any) error {
	rows, err := p.Query(ctx, sql, args...)
	if err != nil {
		return err
	}
	for rows.Next() {
		if _, err := rows.Values(); err != nil {
			rows.Close()
			return err
		}
	}
	rows.Close()
	return rows.Err()
}

// dashResult is the measurement of whole dashboard loads: every panel its own QueryData call, all
// at once, as Grafana's frontend sends them.
type dashResult struct {
	name     string
	panels   int
	distinct int
	left     []string // distinct queries left out (slow or failing)
	cold     []time.Duration
	warm     []time.Duration
	plain    []time.Duration
	stmts    []int
	db       []time.Duration
	peakHeap uint64
	errs     int
}

func (b *bench) panelsOf(d *dashboard, slow map[string]bool) ([]panelQuery, []string) {
	var ps []panelQuery
	var left []string
	for _, p := range d.Panels {
		if !slow[p.Key] {
			ps = append(ps, p)
		}
	}
	for _, q := range d.Distinct {
		if slow[q.Key] {
			left = append(left, q.Name)
		}
	}
	return ps, left
}

// loadOnce loads the panels at once through QueryData and returns the wall time and the errors.
func (b *bench) loadOnce(inst *plugin.Datasource, ps []panelQuery) (time.Duration, int) {
	var wg sync.WaitGroup
	var mu sync.Mutex
	errs := 0
	start := time.Now()
	for _, p := range ps {
		wg.Add(1)
		go func(p panelQuery) {
			defer wg.Done()
			if r := b.query(inst, p.Body, p.QueryType); r.err != nil {
				mu.Lock()
				errs++
				mu.Unlock()
			}
		}(p)
	}
	wg.Wait()
	return time.Since(start), errs
}

func (b *bench) perDashboard(d *dashboard, conf string, slow map[string]bool) (*dashResult, error) {
	ps, left := b.panelsOf(d, slow)
	r := &dashResult{name: d.Name, panels: len(ps), distinct: len(d.Distinct) - len(left), left: left}
	// Plain panels: every panel's own statement(s), all at once on the plain pool.
	var plain []stmt
	for _, q := range d.Distinct {
		if slow[q.Key] {
			continue
		}
		if ss := plainFor(q); ss != nil {
			for _, s := range ss {
				plain = append(plain, stmt{SQL: s.SQL, Args: b.plainArgs(s, conf)})
			}
		} else {
			plain = append(plain, b.recordedOf(d.Name, q.Key)...)
		}
	}
	for i := 0; i < b.c.runs; i++ {
		inst, m, err := b.instance()
		if err != nil {
			return nil, err
		}
		runtime.GC()
		b.mem.reset()
		dur, errs := b.loadOnce(inst, ps)
		r.peakHeap = max(r.peakHeap, b.mem.peak())
		st := m.take()
		var dbt time.Duration
		for _, s := range st {
			dbt += s.Dur
		}
		r.cold, r.stmts, r.db, r.errs = append(r.cold, dur), append(r.stmts, len(st)), append(r.db, dbt), r.errs+errs
		for w := 0; w < b.c.warmRuns; w++ {
			wd, werrs := b.loadOnce(inst, ps)
			r.warm, r.errs = append(r.warm, wd), r.errs+werrs
		}
		b.release(inst)
		pd := b.plainConcurrent(plain)
		r.plain = append(r.plain, pd)
		logf("dashboard %s run %d: cold %s (%d stmts, db %s), warm p50 %s, plain %s, errors %d", d.Name, i+1,
			fmtDur(dur), len(st), fmtDur(dbt), fmtDur(pct(r.warm, 50)), fmtDur(pd), r.errs)
	}
	return r, nil
}

func (b *bench) recordedOf(dash, key string) []stmt {
	for _, q := range b.rep.queries {
		if q.dash == dash && q.q.Key == key {
			return q.recorded
		}
	}
	return nil
}

func (b *bench) plainConcurrent(ss []stmt) time.Duration {
	var wg sync.WaitGroup
	start := time.Now()
	for _, s := range ss {
		wg.Add(1)
		go func(s stmt) {
			defer wg.Done()
			if err := drain(b.ctx, b.plain, s.SQL, s.Args...); err != nil {
				logf("plain dashboard statement: %v", err)
			}
		}(s)
	}
	wg.Wait()
	return time.Since(start)
}

// loadResult is one load run: n concurrent cold loads of one dashboard on one new instance.
type loadResult struct {
	n             int
	dash          string
	left          []string
	lat           []time.Duration
	wall          time.Duration
	stmts         int
	distinctStmts int
	perType       map[string]int
	errs          int
	peakHeap      uint64
}

func (b *bench) load(d *dashboard, n int, slow map[string]bool) (*loadResult, error) {
	ps, left := b.panelsOf(d, slow)
	inst, m, err := b.instance()
	if err != nil {
		return nil, err
	}
	defer b.release(inst)
	runtime.GC()
	b.mem.reset()
	r := &loadResult{n: n, dash: d.Name, left: left, perType: map[string]int{}}
	var wg sync.WaitGroup
	var mu sync.Mutex
	start := time.Now()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dur, errs := b.loadOnce(inst, ps)
			mu.Lock()
			r.lat, r.errs = append(r.lat, dur), r.errs+errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	r.wall = time.Since(start)
	r.peakHeap = b.mem.peak()
	st := m.take()
	r.stmts = len(st)
	seen := map[string]bool{}
	for _, s := range st {
		k := s.SQL + fmt.Sprint(s.Args)
		if !seen[k] {
			seen[k] = true
			r.distinctStmts++
		}
	}
	logf("load %s x%d: p50 %s p95 %s max %s, %d statements (%d distinct), errors %d", d.Name, n,
		fmtDur(pct(r.lat, 50)), fmtDur(pct(r.lat, 95)), fmtDur(pct(r.lat, 100)), r.stmts, r.distinctStmts, r.errs)
	return r, nil
}

// explain runs EXPLAIN (ANALYZE, BUFFERS) on the slowest recorded plugin statements.
func (b *bench) explain() error {
	type cand struct {
		name string
		s    stmt
	}
	var cs []cand
	for _, q := range b.rep.queries {
		if len(b.c.explainOnly) > 0 && !b.c.explainOnly[q.q.Name] {
			continue
		}
		for _, s := range q.recorded {
			cs = append(cs, cand{q.dash + "/" + q.q.Name, s})
		}
	}
	slices.SortFunc(cs, func(a, b cand) int { return int(b.s.Dur - a.s.Dur) })
	if len(cs) > b.c.explain {
		cs = cs[:b.c.explain]
	}
	path := b.c.explainOut
	if path == "" {
		path = strings.TrimSuffix(b.c.out, ".md") + ".explain.txt"
		if b.c.out == "" {
			path = "pmbench.explain.txt"
		}
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	for _, c := range cs {
		logf("EXPLAIN ANALYZE %s (%s in the benchmark)", c.name, fmtDur(c.s.Dur))
		fmt.Fprintf(f, "==== %s — %s in the benchmark's first cold run\n%s\n-- args: %v\n\n", c.name, fmtDur(c.s.Dur), c.s.SQL, c.s.Args)
		lines, err := b.explainOne(c.s)
		if err != nil {
			fmt.Fprintf(f, "error: %v\n\n", err)
			continue
		}
		fmt.Fprintf(f, "%s\n\n", strings.Join(lines, "\n"))
	}
	b.rep.explainPath = path
	return nil
}

// explainOne explains s in a session set up as the plugin's (settings.PoolConfig: jit off, UTC);
// with PostgreSQL's default jit=on the plan would show seconds of JIT compilation the plugin never pays.
func (b *bench) explainOne(s stmt) ([]string, error) {
	tx, err := b.plain.Begin(b.ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback(b.ctx)
	if _, err := tx.Exec(b.ctx, "SET LOCAL jit = off; SET LOCAL TimeZone = 'UTC'"); err != nil {
		return nil, err
	}
	rows, err := tx.Query(b.ctx, "EXPLAIN (ANALYZE, BUFFERS) "+s.SQL, s.Args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[string])
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 160 {
		s = s[:160] + "…"
	}
	return s
}

// nameSet reads a comma-separated list of query names.
func nameSet(list string) map[string]bool {
	m := map[string]bool{}
	for _, s := range strings.Split(list, ",") {
		if s = strings.TrimSpace(s); s != "" {
			m[s] = true
		}
	}
	return m
}

// skipped says whether -skip or -only leaves a query out.
func (c *config) skipped(name string) bool {
	return c.skip[name] || (len(c.only) > 0 && !c.only[name])
}
