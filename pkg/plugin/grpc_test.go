package plugin_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"

	"github.com/peermetrics/grafana-datasource/pkg/plugintest"
	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

// grpcPlugin is the built plugin binary started the way Grafana starts it: through the go-plugin
// handshake with the SDK's protocol constants, then spoken to over gRPC.
type grpcPlugin struct{ *plugintest.Plugin }

func startGRPCPlugin(t *testing.T, env ...string) *grpcPlugin {
	t.Helper()
	return &grpcPlugin{plugintest.Start(t, plugintest.Binary(t), plugintest.Options{Env: env})}
}

// dsSettings is a data source pointing at a test database, as Grafana would send it. Without
// Updated, each request is a new settings version, as a saved change in Grafana is; the instance
// manager keeps one instance per data source and version.
type dsSettings struct {
	JSON    map[string]any
	Secrets map[string]string
	Updated time.Time
}

func testDBSettings(db *testdb.DB) dsSettings {
	host, user := testdb.HostPort()
	return dsSettings{
		JSON: map[string]any{"host": host, "database": db.Name, "user": user, "sslMode": "disable", "prewarm": false,
			// Generous: CI machines are small and fleet quality reads every summary of the range.
			"queryTimeoutSeconds": 120},
		Secrets: map[string]string{},
	}
}

func (s dsSettings) pluginContext(t *testing.T) *pluginv2.PluginContext {
	t.Helper()
	if s.Updated.IsZero() {
		s.Updated = plugintest.NextVersion()
	}
	return plugintest.DataSource{UID: "peermetrics-test", JSON: s.JSON, Secrets: s.Secrets, Updated: s.Updated}.PluginContext(t)
}

func (p *grpcPlugin) checkHealth(t *testing.T, s dsSettings) *backend.CheckHealthResult {
	t.Helper()
	return p.CheckHealth(t, s.pluginContext(t))
}

type grpcQuery struct {
	RefID, QueryType, JSON string
	From, To               time.Time
}

func (p *grpcPlugin) queryData(t *testing.T, s dsSettings, queries ...grpcQuery) *backend.QueryDataResponse {
	t.Helper()
	req := &backend.QueryDataRequest{}
	for _, q := range queries {
		req.Queries = append(req.Queries, backend.DataQuery{RefID: q.RefID, QueryType: q.QueryType, JSON: json.RawMessage(q.JSON),
			TimeRange: backend.TimeRange{From: q.From, To: q.To}, Interval: time.Minute, MaxDataPoints: 1000})
	}
	return p.MustQueryData(t, s.pluginContext(t), req)
}

func mustContain(t *testing.T, got string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(got, p) {
			t.Errorf("%q does not contain %q", got, p)
		}
	}
}
