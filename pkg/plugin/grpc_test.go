package plugin_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"

	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

// grpcPlugin is the built plugin binary started the way Grafana starts it: through the go-plugin
// handshake with the SDK's protocol constants, then spoken to over gRPC.
type grpcPlugin struct {
	client      *goplugin.Client
	data        grpcplugin.DataClient
	diagnostics grpcplugin.DiagnosticsClient
	resource    grpcplugin.ResourceClient
}

// buildPlugin compiles ./pkg once per test binary run.
func buildPlugin(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(os.TempDir(), fmt.Sprintf("gpx_peermetrics_test_%d", os.Getpid()))
	if _, err := os.Stat(bin); err == nil {
		return bin
	}
	cmd := exec.Command("go", "build", "-o", bin, "github.com/peermetrics/grafana-datasource/pkg")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build plugin: %v\n%s", err, out)
	}
	return bin
}

func startGRPCPlugin(t *testing.T, env ...string) *grpcPlugin {
	t.Helper()
	cmd := exec.Command(buildPlugin(t))
	cmd.Env = append(os.Environ(), env...)
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig: goplugin.HandshakeConfig{
			ProtocolVersion:  grpcplugin.ProtocolVersion,
			MagicCookieKey:   grpcplugin.MagicCookieKey,
			MagicCookieValue: grpcplugin.MagicCookieValue,
		},
		VersionedPlugins: map[int]goplugin.PluginSet{
			grpcplugin.ProtocolVersion: {
				"data":        &grpcplugin.DataGRPCPlugin{},
				"diagnostics": &grpcplugin.DiagnosticsGRPCPlugin{},
				"resource":    &grpcplugin.ResourceGRPCPlugin{},
			},
		},
		Cmd:              cmd,
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           hclog.NewNullLogger(),
		StartTimeout:     30 * time.Second,
	})
	t.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("go-plugin handshake with the binary failed: %v", err)
	}
	p := &grpcPlugin{client: client}
	for name, dst := range map[string]any{"data": &p.data, "diagnostics": &p.diagnostics, "resource": &p.resource} {
		raw, err := rpc.Dispense(name)
		if err != nil {
			t.Fatalf("dispense %s: %v", name, err)
		}
		switch d := dst.(type) {
		case *grpcplugin.DataClient:
			*d = raw.(grpcplugin.DataClient)
		case *grpcplugin.DiagnosticsClient:
			*d = raw.(grpcplugin.DiagnosticsClient)
		case *grpcplugin.ResourceClient:
			*d = raw.(grpcplugin.ResourceClient)
		}
	}
	return p
}

// dsSettings is a data source pointing at a test database, as Grafana would send it.
type dsSettings struct {
	JSON    map[string]any
	Secrets map[string]string
	Updated time.Time
}

// settingsVersion makes each dsSettings a new settings version, as a saved change in Grafana is;
// the instance manager keeps one instance per data source and version.
var settingsVersion atomic.Int64

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
		s.Updated = time.Unix(1700000000+settingsVersion.Add(1), 0)
	}
	js, err := json.Marshal(s.JSON)
	if err != nil {
		t.Fatal(err)
	}
	return backend.ToProto().PluginContext(backend.PluginContext{
		OrgID:    1,
		PluginID: "peermetrics-webrtc-datasource",
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{
			ID: 1, UID: "peermetrics-test", Name: "Peermetrics", JSONData: js,
			DecryptedSecureJSONData: s.Secrets, Updated: s.Updated,
		},
	})
}

func (p *grpcPlugin) checkHealth(t *testing.T, s dsSettings) *backend.CheckHealthResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := p.diagnostics.CheckHealth(ctx, &pluginv2.CheckHealthRequest{PluginContext: s.pluginContext(t)})
	if err != nil {
		t.Fatalf("CheckHealth over gRPC: %v", err)
	}
	return backend.FromProto().CheckHealthResponse(res)
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
	pr := backend.ToProto().QueryDataRequest(req)
	pr.PluginContext = s.pluginContext(t)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := p.data.QueryData(ctx, pr)
	if err != nil {
		t.Fatalf("QueryData over gRPC: %v", err)
	}
	out, err := backend.FromProto().QueryDataResponse(res)
	if err != nil {
		t.Fatalf("decode QueryData response: %v", err)
	}
	return out
}

func mustContain(t *testing.T, got string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(got, p) {
			t.Errorf("%q does not contain %q", got, p)
		}
	}
}
