package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/peermetrics/grafana-datasource/pkg/plugin"
	"github.com/peermetrics/grafana-datasource/pkg/settings"
	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

// BenchmarkConnectionStatsOngoingWarm is the warm side of BenchmarkConnectionStatsOngoing: the same
// one-hour, ten-participant ongoing conference through the plugin's QueryData path, answered from
// the in-process cache after one cold load (reported as the cold-ms metric).
func BenchmarkConnectionStatsOngoingWarm(b *testing.B) {
	benchSkip(b)
	db := testdb.New(b)
	pool, err := pgxpool.New(context.Background(), db.URL)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(pool.Close)
	conf := benchOngoing(b, pool)
	u, _ := url.Parse(db.URL)
	js, _ := json.Marshal(map[string]any{"host": u.Host, "database": db.Name, "user": u.User.Username(), "prewarm": false})
	cfg, err := settings.Load(backend.DataSourceInstanceSettings{UID: "bench", JSONData: js})
	if err != nil {
		b.Fatal(err)
	}
	ds := plugin.NewBenchDatasource(cfg, plugin.BenchOptions{NoPrewarm: true})
	defer ds.Dispose()
	start := time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)
	req := &backend.QueryDataRequest{Queries: []backend.DataQuery{{RefID: "A", QueryType: "connectionStats",
		JSON: []byte(`{"conferenceId":"` + conf + `"}`), TimeRange: backend.TimeRange{From: start, To: start.Add(61 * time.Minute)}}}}
	load := func() {
		res, err := ds.QueryData(context.Background(), req)
		if err != nil || res.Responses["A"].Error != nil {
			b.Fatal(fmt.Errorf("%v %v", err, res.Responses["A"].Error))
		}
	}
	t0 := time.Now()
	load()
	cold := time.Since(t0)
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		load()
	}
	b.ReportMetric(float64(cold.Microseconds())/1000, "cold-ms")
}
