package plugin

import (
	"time"

	"github.com/peermetrics/grafana-datasource/pkg/settings"
	"github.com/peermetrics/grafana-datasource/pkg/store"
)

// BenchOptions are the seams cmd/pmbench needs to measure the QueryData path from outside the
// package: a wrapper around what the store sends to PostgreSQL (to count statements and time the
// database), the clock, and pre-warming (off for a cold measurement).
type BenchOptions struct {
	// WrapDB, when set, wraps the pool every store of the instance uses.
	WrapDB func(store.DB) store.DB
	// Now is the clock of cache expiries and bucket completeness (time.Now when nil).
	Now func() time.Time
	// NoPrewarm disables pre-warming even when the settings enable it.
	NoPrewarm bool
}

// NewBenchDatasource builds a data source instance from already loaded settings, as the instance
// manager does, with the benchmark's seams. It is not used by the plugin itself.
func NewBenchDatasource(cfg settings.Settings, o BenchOptions) *Datasource {
	return newDatasource(cfg, nil, options{now: o.Now, wrapDB: o.WrapDB, noPrewarm: o.NoPrewarm})
}
