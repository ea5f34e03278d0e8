package main

import (
	"encoding/json"
	"fmt"
	"maps"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/prometheus/client_golang/prometheus"

	"github.com/peermetrics/grafana-datasource/pkg/plugin"
	"github.com/peermetrics/grafana-datasource/pkg/settings"
)

// prewarmCycle is one pre-warming cycle as a deployment runs it.
type prewarmCycle struct {
	result       string // ok, partial, error (the plugin's peermetrics_prewarm_runs_total label)
	dur          time.Duration
	stmts        int64
	dbTime       time.Duration // sum over the cycle's statements, which run side by side
	sinceStarted time.Duration // from the instance's start to the cycle's end
}

// prewarm runs the plugin's pre-warmer as deployed (prewarm on, interval -prewarm-interval, the
// product's statement timeout, Redis DB flushed, the clock at -end) until n cycles have ended, and
// records each: what pre-warming costs PostgreSQL on this dataset. The cycles are read from the
// plugin's own metrics (peermetrics_prewarm_runs_total, peermetrics_prewarm_duration_seconds).
func (b *bench) prewarm(n int) error {
	if err := b.rdb.FlushDB(b.ctx).Err(); err != nil {
		return fmt.Errorf("flush Redis DB %d: %w", b.c.redisDB, err)
	}
	js := maps.Clone(b.jsonBase)
	js["prewarm"], js["prewarmIntervalSeconds"] = true, b.c.prewarmInterval
	delete(js, "queryTimeoutSeconds") // the product's default, as a deployment has it
	raw, _ := json.Marshal(js)
	b.version++
	s, err := settings.Load(backend.DataSourceInstanceSettings{UID: "pmbench-prewarm", Updated: time.Unix(0, b.version),
		JSONData: raw, DecryptedSecureJSONData: map[string]string{"password": b.password}})
	if err != nil {
		return err
	}
	m := &dbMeter{}
	start := time.Now()
	now := func() time.Time { return b.c.end.Add(time.Since(start)) }
	runs0, sum0 := prewarmMetrics()
	d := plugin.NewBenchDatasource(s, plugin.BenchOptions{WrapDB: m.wrap, Now: now})
	defer d.Dispose()
	logf("pre-warming: waiting for %d cycles (interval %d s)", n, b.c.prewarmInterval)
	var stmts0 int64
	for len(b.rep.prewarm) < n {
		time.Sleep(200 * time.Millisecond)
		runs, sum := prewarmMetrics()
		for res, v := range runs {
			if v <= runs0[res] || res == "skipped" {
				continue
			}
			var db time.Duration
			for _, st := range m.take() {
				db += st.Dur
			}
			c := prewarmCycle{result: res, dur: time.Duration((sum - sum0) * float64(time.Second)), stmts: m.n.Load() - stmts0,
				dbTime: db, sinceStarted: time.Since(start)}
			b.rep.prewarm = append(b.rep.prewarm, c)
			logf("pre-warming: cycle %d %s in %s, %d statements", len(b.rep.prewarm), res, fmtDur(c.dur), c.stmts)
			stmts0 += c.stmts
		}
		runs0, sum0 = runs, sum
	}
	return nil
}

// prewarmMetrics reads the plugin's pre-warm counters by result and the sum of cycle durations.
func prewarmMetrics() (map[string]float64, float64) {
	runs := map[string]float64{}
	var sum float64
	mfs, _ := prometheus.DefaultGatherer.Gather()
	for _, mf := range mfs {
		for _, mt := range mf.Metric {
			switch mf.GetName() {
			case "peermetrics_prewarm_runs_total":
				for _, l := range mt.Label {
					if l.GetName() == "result" {
						runs[l.GetValue()] = mt.Counter.GetValue()
					}
				}
			case "peermetrics_prewarm_duration_seconds":
				sum = mt.Histogram.GetSampleSum()
			}
		}
	}
	return runs, sum
}
