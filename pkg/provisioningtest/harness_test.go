package provisioningtest

import (
	"context"
	"encoding/json"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/peermetrics/grafana-datasource/pkg/plugintest"
)

// dataSource is one configured instance of the plugin, as Grafana sends it with every request.
type dataSource struct {
	plugin   *plugintest.Plugin
	settings backend.DataSourceInstanceSettings
}

// query is one DataQuery as Grafana builds it from a panel target or an alert rule's model.
type query struct {
	RefID         string
	JSON          []byte // the target/model after template interpolation
	From, To      time.Time
	Interval      time.Duration
	MaxDataPoints int64
}

func (ds *dataSource) queryData(ctx context.Context, qs []query) (*backend.QueryDataResponse, error) {
	req := &backend.QueryDataRequest{}
	for _, q := range qs {
		var head struct {
			QueryType string `json:"queryType"`
		}
		_ = json.Unmarshal(q.JSON, &head)
		req.Queries = append(req.Queries, backend.DataQuery{RefID: q.RefID, QueryType: head.QueryType, JSON: q.JSON,
			TimeRange: backend.TimeRange{From: q.From, To: q.To}, Interval: q.Interval, MaxDataPoints: q.MaxDataPoints})
	}
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	return ds.plugin.QueryData(ctx, plugintest.PluginContext(&ds.settings), req)
}
