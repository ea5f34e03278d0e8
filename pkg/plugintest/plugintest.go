// Package plugintest is the test harness shared by the packages that test the built plugin binary
// end to end (pkg/plugin, pkg/reliabilitytest, pkg/provisioningtest): it builds the binary, starts
// it the way Grafana does (the go-plugin handshake with the SDK's grpcplugin constants) and calls
// it over gRPC (QueryData, CheckHealth, CallResource) with a PluginContext built from data source
// settings. It is meant for tests only; nothing in the plugin imports it.
package plugintest

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
)

// PluginID is the plugin's id, as Grafana sends it in every PluginContext.
const PluginID = "peermetrics-webrtc-datasource"

// mainPackage is the plugin's main package.
const mainPackage = "github.com/peermetrics/grafana-datasource/pkg"

// Build compiles the plugin binary into dir and returns its path.
func Build(dir string) (string, error) {
	bin := filepath.Join(dir, "gpx_peermetrics")
	if out, err := exec.Command("go", "build", "-o", bin, mainPackage).CombinedOutput(); err != nil {
		return "", fmt.Errorf("build plugin: %v\n%s", err, out)
	}
	return bin, nil
}

var (
	binOnce sync.Once
	binPath string
	binErr  error
	binMu   sync.Mutex
	binDir  string
)

// Binary builds the plugin binary once per test process (into a temporary directory that
// RemoveBinary deletes) and returns its path; a failed build fails t.
func Binary(t testing.TB) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "pmplugin")
		if err != nil {
			binErr = err
			return
		}
		binMu.Lock()
		binDir = dir
		binMu.Unlock()
		binPath, binErr = Build(dir)
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

// RemoveBinary deletes the binary Binary built, if any. Call it from TestMain after m.Run.
func RemoveBinary() {
	binMu.Lock()
	defer binMu.Unlock()
	if binDir != "" {
		_ = os.RemoveAll(binDir)
		binDir = ""
	}
}

// Options are how Start runs the binary.
type Options struct {
	// Env is added to the test process's environment.
	Env []string
	// Logs, if set, receives everything the process writes (its stderr, where the SDK logs, and the
	// stdio forwarded over gRPC) and go-plugin's own log at trace level. Without it all is dropped.
	Logs io.Writer
}

// Plugin is a started plugin process and its gRPC clients.
type Plugin struct {
	Client      *goplugin.Client
	Data        grpcplugin.DataClient
	Diagnostics grpcplugin.DiagnosticsClient
	Resource    grpcplugin.ResourceClient
}

// Start runs the binary bin through the go-plugin handshake with the SDK's protocol constants and
// dispenses its data, diagnostics and resource clients. The process is killed when t ends.
func Start(t testing.TB, bin string, opts Options) *Plugin {
	t.Helper()
	cmd := exec.Command(bin)
	cmd.Env = append(os.Environ(), opts.Env...)
	cfg := &goplugin.ClientConfig{
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
	}
	if opts.Logs != nil {
		cfg.Stderr, cfg.SyncStdout, cfg.SyncStderr = opts.Logs, opts.Logs, opts.Logs
		cfg.Logger = hclog.New(&hclog.LoggerOptions{Output: opts.Logs, Level: hclog.Trace})
	}
	client := goplugin.NewClient(cfg)
	t.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("go-plugin handshake with the binary failed: %v", err)
	}
	p := &Plugin{Client: client}
	for name, dst := range map[string]any{"data": &p.Data, "diagnostics": &p.Diagnostics, "resource": &p.Resource} {
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

var settingsVersion atomic.Int64

// NextVersion is a new settings version (an Updated time no other call of this process returns),
// as a saved change in Grafana is: the instance manager keeps one instance per data source and
// version, so data sources of different versions never share an instance or its cache.
func NextVersion() time.Time {
	return time.Unix(1700000000+settingsVersion.Add(1), 0)
}

// DataSource is a data source's settings as Grafana sends them.
type DataSource struct {
	UID     string
	JSON    map[string]any
	Secrets map[string]string
	Updated time.Time
}

// PluginContext is the PluginContext Grafana sends with s (organization 1, data source id 1).
func (s DataSource) PluginContext(t testing.TB) *pluginv2.PluginContext {
	t.Helper()
	js, err := json.Marshal(s.JSON)
	if err != nil {
		t.Fatal(err)
	}
	return PluginContext(&backend.DataSourceInstanceSettings{
		ID: 1, UID: s.UID, Name: "Peermetrics", JSONData: js,
		DecryptedSecureJSONData: s.Secrets, Updated: s.Updated,
	})
}

// PluginContext is the PluginContext of organization 1 for the data source settings.
func PluginContext(settings *backend.DataSourceInstanceSettings) *pluginv2.PluginContext {
	return backend.ToProto().PluginContext(backend.PluginContext{
		OrgID: 1, PluginID: PluginID, DataSourceInstanceSettings: settings,
	})
}

// QueryData sends req with the plugin context pc under ctx and decodes the answer.
func (p *Plugin) QueryData(ctx context.Context, pc *pluginv2.PluginContext, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	pr := backend.ToProto().QueryDataRequest(req)
	pr.PluginContext = pc
	res, err := p.Data.QueryData(ctx, pr)
	if err != nil {
		return nil, err
	}
	return backend.FromProto().QueryDataResponse(res)
}

// MustQueryData is QueryData with a 60 s timeout; an error of the call or of decoding fails t.
func (p *Plugin) MustQueryData(t testing.TB, pc *pluginv2.PluginContext, req *backend.QueryDataRequest) *backend.QueryDataResponse {
	t.Helper()
	pr := backend.ToProto().QueryDataRequest(req)
	pr.PluginContext = pc
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	res, err := p.Data.QueryData(ctx, pr)
	if err != nil {
		t.Fatalf("QueryData over gRPC: %v", err)
	}
	out, err := backend.FromProto().QueryDataResponse(res)
	if err != nil {
		t.Fatalf("decode QueryData response: %v", err)
	}
	return out
}

// CheckHealth calls CheckHealth with a 30 s timeout; an error of the call fails t.
func (p *Plugin) CheckHealth(t testing.TB, pc *pluginv2.PluginContext) *backend.CheckHealthResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := p.Diagnostics.CheckHealth(ctx, &pluginv2.CheckHealthRequest{PluginContext: pc})
	if err != nil {
		t.Fatalf("CheckHealth over gRPC: %v", err)
	}
	return backend.FromProto().CheckHealthResponse(res)
}

// CallResource is one CallResource with a 30 s timeout: the status and body of its first (only)
// message. An error of the call fails t.
func (p *Plugin) CallResource(t testing.TB, pc *pluginv2.PluginContext, method, path, rawQuery string, body []byte) (int, string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	u := path
	if rawQuery != "" {
		u += "?" + rawQuery
	}
	stream, err := p.Resource.CallResource(ctx, &pluginv2.CallResourceRequest{
		PluginContext: pc, Path: path, Method: method, Url: u, Body: body,
	})
	if err != nil {
		t.Fatalf("CallResource over gRPC: %v", err)
	}
	res, err := stream.Recv()
	if err != nil {
		t.Fatalf("CallResource receive: %v", err)
	}
	return int(res.Code), string(res.Body)
}
