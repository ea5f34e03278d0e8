package provisioningtest

import (
	"context"
	"encoding/json"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/grpcplugin"
	"github.com/hashicorp/go-hclog"
	goplugin "github.com/hashicorp/go-plugin"
)

// The harness below is the part of pkg/plugin/grpc_test.go this package needs: the built binary
// started through the go-plugin handshake with the SDK's constants, spoken to over gRPC.

func buildPlugin(dir string) (string, error) {
	bin := filepath.Join(dir, "gpx_peermetrics")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/peermetrics/grafana-datasource/pkg")
	if out, err := cmd.CombinedOutput(); err != nil {
		return "", &buildError{err: err, out: string(out)}
	}
	return bin, nil
}

type buildError struct {
	err error
	out string
}

func (e *buildError) Error() string { return "build plugin: " + e.err.Error() + "\n" + e.out }

func startPlugin(t *testing.T, bin string) grpcplugin.DataClient {
	t.Helper()
	client := goplugin.NewClient(&goplugin.ClientConfig{
		HandshakeConfig: goplugin.HandshakeConfig{
			ProtocolVersion:  grpcplugin.ProtocolVersion,
			MagicCookieKey:   grpcplugin.MagicCookieKey,
			MagicCookieValue: grpcplugin.MagicCookieValue,
		},
		VersionedPlugins: map[int]goplugin.PluginSet{
			grpcplugin.ProtocolVersion: {"data": &grpcplugin.DataGRPCPlugin{}},
		},
		Cmd:              exec.Command(bin),
		AllowedProtocols: []goplugin.Protocol{goplugin.ProtocolGRPC},
		Logger:           hclog.NewNullLogger(),
		StartTimeout:     30 * time.Second,
	})
	t.Cleanup(client.Kill)
	rpc, err := client.Client()
	if err != nil {
		t.Fatalf("go-plugin handshake with the binary failed: %v", err)
	}
	raw, err := rpc.Dispense("data")
	if err != nil {
		t.Fatalf("dispense data: %v", err)
	}
	return raw.(grpcplugin.DataClient)
}

// dataSource is one configured instance of the plugin, as Grafana sends it with every request.
type dataSource struct {
	client   grpcplugin.DataClient
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
	pr := backend.ToProto().QueryDataRequest(req)
	pr.PluginContext = backend.ToProto().PluginContext(backend.PluginContext{
		OrgID: 1, PluginID: "peermetrics-webrtc-datasource", DataSourceInstanceSettings: &ds.settings,
	})
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	res, err := ds.client.QueryData(ctx, pr)
	if err != nil {
		return nil, err
	}
	return backend.FromProto().QueryDataResponse(res)
}
