package plugin

import (
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// Prometheus metrics of SPEC §5. They live on the default registry, which the SDK serves through
// Grafana's plugin metrics endpoint (/api/plugins/<id>/metrics). They are registered once, at package
// level, so any number of data source instances share them without a duplicate-registration panic.
var (
	metricCacheHits = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "peermetrics_cache_hits_total",
		Help: "Queries answered from a fresh cache entry.",
	}, []string{"query_type"})
	metricCacheMisses = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "peermetrics_cache_misses_total",
		Help: "Queries computed in PostgreSQL because no usable cache entry existed.",
	}, []string{"query_type"})
	metricCacheStale = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "peermetrics_cache_stale_total",
		Help: "Queries answered from an expired entry within its grace period while it was refreshed.",
	}, []string{"query_type"})
	metricQueryDuration = promauto.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "peermetrics_query_duration_seconds",
		Help:    "Time to answer one query (one RefID), cache included.",
		Buckets: []float64{.001, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60},
	}, []string{"query_type"})
	metricDBErrors = promauto.NewCounter(prometheus.CounterOpts{
		Name: "peermetrics_db_errors_total",
		Help: "Queries that failed in PostgreSQL (not counting invalid queries).",
	})
	metricCacheErrors = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "peermetrics_cache_errors_total",
		Help: "Failed Redis commands; the queries concerned were answered from PostgreSQL.",
	}, []string{"op"})
	metricPrewarmRuns = promauto.NewCounterVec(prometheus.CounterOpts{
		Name: "peermetrics_prewarm_runs_total",
		Help: "Pre-warming cycles by result: ok, partial (some queries failed), error, skipped (another replica holds the lock).",
	}, []string{"result"})
	metricPrewarmDuration = promauto.NewHistogram(prometheus.HistogramOpts{
		Name:    "peermetrics_prewarm_duration_seconds",
		Help:    "Duration of one pre-warming cycle.",
		Buckets: []float64{.05, .1, .25, .5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600},
	})
)
