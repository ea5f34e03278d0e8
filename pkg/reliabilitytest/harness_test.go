package reliabilitytest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/grafana/grafana-plugin-sdk-go/genproto/pluginv2"
	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/peermetrics/grafana-datasource/pkg/plugintest"
	"github.com/peermetrics/grafana-datasource/pkg/schema"
	"github.com/peermetrics/grafana-datasource/pkg/settings"
	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

// fixturePath is the hand-counted fixture of pkg/store (3 apps in 2 organizations), read in place so
// it stays the one copy. Tests that need it load it into a fresh database of their own.
const fixturePath = "../store/testdata/fixture.sql"

func fixtureSQL(t testing.TB) string {
	t.Helper()
	b, err := os.ReadFile(fixturePath)
	if err != nil {
		t.Fatalf("read fixture: %v", err)
	}
	return string(b)
}

// Fixture ids (see testdata/fixture.sql).
const (
	org1  = "00000000-0000-4000-8000-000000000a01"
	org2  = "00000000-0000-4000-8000-000000000a02"
	app1  = "00000000-0000-4000-8000-000000000a11"
	app2  = "00000000-0000-4000-8000-000000000a12"
	app3  = "00000000-0000-4000-8000-000000000a13"
	conf1 = "00000000-0000-4000-8000-000000000c01"
	sess1 = "00000000-0000-4000-8000-000000000d01"
	conn1 = "00000000-0000-4000-8000-000000000e01"
)

// The fixture's data lies in [fixFrom, fixTo).
var (
	fixFrom = time.Date(2026, 10, 31, 0, 0, 0, 0, time.UTC)
	fixTo   = time.Date(2026, 11, 4, 0, 0, 0, 0, time.UTC)
)

func TestMain(m *testing.M) {
	code := m.Run()
	dropShared()
	plugintest.RemoveBinary()
	os.Exit(code)
}

// syncBuffer collects the plugin's stderr (its log lines) safely from go-plugin's reader goroutine.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// grpcPlugin is the built plugin binary started the way Grafana starts it (go-plugin handshake with
// the SDK's constants), spoken to over gRPC. Everything the process writes is kept in logs.
type grpcPlugin struct {
	*plugintest.Plugin
	logs *syncBuffer
}

func startPlugin(t testing.TB, env ...string) *grpcPlugin {
	t.Helper()
	logs := &syncBuffer{}
	return &grpcPlugin{Plugin: plugintest.Start(t, plugintest.Binary(t), plugintest.Options{Env: env, Logs: logs}), logs: logs}
}

// ds is a data source as Grafana sends it. Each ds gets its own settings version unless Updated is
// set, so instances (and their caches) of different tests never mix.
type ds struct {
	UID     string
	JSON    map[string]any
	Secrets map[string]string
	Updated time.Time
}

func newDS(host, database, user string, extra map[string]any) *ds {
	j := map[string]any{"host": host, "database": database, "user": user, "sslMode": "disable", "prewarm": false}
	for k, v := range extra {
		j[k] = v
	}
	return &ds{
		UID: "peermetrics-rel", JSON: j, Secrets: map[string]string{},
		Updated: plugintest.NextVersion(),
	}
}

// sharedDS points at a database on the shared test server.
func sharedDS(dbName string, extra map[string]any) *ds {
	host, user := testdb.HostPort()
	return newDS(host, dbName, user, extra)
}

func (s *ds) pluginContext(t testing.TB) *pluginv2.PluginContext {
	t.Helper()
	return plugintest.DataSource{UID: s.UID, JSON: s.JSON, Secrets: s.Secrets, Updated: s.Updated}.PluginContext(t)
}

type q struct {
	RefID, QueryType, JSON string
	From, To               time.Time
	Interval               time.Duration
}

func request(queries ...q) *backend.QueryDataRequest {
	req := &backend.QueryDataRequest{}
	for _, x := range queries {
		iv := x.Interval
		if iv == 0 {
			iv = time.Hour
		}
		req.Queries = append(req.Queries, backend.DataQuery{RefID: x.RefID, QueryType: x.QueryType, JSON: json.RawMessage(x.JSON),
			TimeRange: backend.TimeRange{From: x.From, To: x.To}, Interval: iv, MaxDataPoints: 1000})
	}
	return req
}

// queryCtx sends one QueryData request under ctx and decodes the answer.
func (p *grpcPlugin) queryCtx(ctx context.Context, t testing.TB, s *ds, queries ...q) (*backend.QueryDataResponse, error) {
	return p.QueryData(ctx, s.pluginContext(t), request(queries...))
}

func (p *grpcPlugin) query(t testing.TB, s *ds, queries ...q) *backend.QueryDataResponse {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	out, err := p.queryCtx(ctx, t, s, queries...)
	if err != nil {
		t.Fatalf("QueryData over gRPC: %v", err)
	}
	if len(out.Responses) != len(queries) {
		t.Fatalf("%d responses for %d queries", len(out.Responses), len(queries))
	}
	return out
}

func (p *grpcPlugin) health(t testing.TB, s *ds) *backend.CheckHealthResult {
	t.Helper()
	return p.CheckHealth(t, s.pluginContext(t))
}

// metrics is the Prometheus text the plugin gives Grafana (CollectMetrics over gRPC).
func (p *grpcPlugin) metrics(t testing.TB, s *ds) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	res, err := p.Diagnostics.CollectMetrics(ctx, &pluginv2.CollectMetricsRequest{PluginContext: s.pluginContext(t)})
	if err != nil {
		t.Fatalf("CollectMetrics over gRPC: %v", err)
	}
	if res.Metrics == nil {
		return ""
	}
	return string(res.Metrics.Prometheus)
}

// resourceCall is one CallResource over gRPC: status and body.
func (p *grpcPlugin) resourceCall(t testing.TB, s *ds, method, path, rawQuery string, body []byte) (int, string) {
	t.Helper()
	return p.CallResource(t, s.pluginContext(t), method, path, rawQuery, body)
}

// fixtureDB is a fresh database on the shared server holding the hand fixture.
func fixtureDB(t testing.TB) *testdb.DB {
	t.Helper()
	db := testdb.New(t)
	conn := connect(t, db.URL)
	if _, err := conn.Exec(context.Background(), fixtureSQL(t)); err != nil {
		t.Fatalf("load fixture: %v", err)
	}
	return db
}

// connect opens a direct (superuser, read-write) connection for setting up and inspecting.
func connect(t testing.TB, url string) *pgx.Conn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 15*time.Second)
	defer cancel()
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return conn
}

// loadSchemaAndFixture creates database name on a private server and fills it.
func loadSchemaAndFixture(t testing.TB, adminURL, dbURL, name string) {
	t.Helper()
	ctx := context.Background()
	admin := connect(t, adminURL)
	if _, err := admin.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
		t.Fatal(err)
	}
	conn := connect(t, dbURL)
	if _, err := conn.Exec(ctx, schema.SQL); err != nil {
		t.Fatal(err)
	}
	if _, err := conn.Exec(ctx, fixtureSQL(t)); err != nil {
		t.Fatal(err)
	}
}

// tableCounts counts the rows of every Peermetrics table: a write through the plugin would change them.
func tableCounts(t testing.TB, conn *pgx.Conn) map[string]int64 {
	t.Helper()
	out := map[string]int64{}
	for tbl := range schema.Tables {
		var n int64
		if err := conn.QueryRow(context.Background(), "SELECT count(*) FROM "+pgx.Identifier{tbl}.Sanitize()).Scan(&n); err != nil {
			t.Fatalf("count %s: %v", tbl, err)
		}
		out[tbl] = n
	}
	return out
}

func mustContain(t testing.TB, got string, parts ...string) {
	t.Helper()
	for _, p := range parts {
		if !strings.Contains(got, p) {
			t.Errorf("%q does not contain %q", got, p)
		}
	}
}

// respErr is a short description of a RefID's answer for failure messages.
func respErr(r backend.DataResponse) string {
	if r.Error == nil {
		return fmt.Sprintf("ok (%d frames)", len(r.Frames))
	}
	return fmt.Sprintf("%d %s: %v", r.Status, r.ErrorSource, r.Error)
}

// digest renders what a user sees of frames: names, fields (name, labels, links, values) and
// notices. The executed SQL and the cache annotations are left out: they legitimately differ
// between two data sources that must show the same rows.
func digest(fs data.Frames) string { return digestOpt(fs, true) }

// digestOpt is digest, with or without the fields' data links.
func digestOpt(fs data.Frames, links bool) string {
	var b strings.Builder
	for _, f := range fs {
		fmt.Fprintf(&b, "frame %q\n", f.Name)
		if f.Meta != nil {
			for _, n := range f.Meta.Notices {
				fmt.Fprintf(&b, "  notice %s\n", n.Text)
			}
		}
		for _, fld := range f.Fields {
			fmt.Fprintf(&b, "  field %q %s", fld.Name, fld.Labels.String())
			if fld.Config != nil {
				fmt.Fprintf(&b, " display=%q", fld.Config.DisplayNameFromDS)
				for _, l := range fld.Config.Links {
					if !links {
						continue
					}
					fmt.Fprintf(&b, " link=%q", l.URL)
				}
			}
			b.WriteString(":")
			for i := 0; i < fld.Len(); i++ {
				v, ok := fld.ConcreteAt(i)
				if !ok {
					b.WriteString(" null")
					continue
				}
				if x, isF := v.(float64); isF {
					fmt.Fprintf(&b, " %.9g", x)
					continue
				}
				fmt.Fprintf(&b, " %v", v)
			}
			b.WriteString("\n")
		}
	}
	return b.String()
}

// rowCount is the number of rows of the first frame (0 without frames).
func rowCount(fs data.Frames) int {
	n := 0
	for _, f := range fs {
		r, _ := f.RowLen()
		n += r
	}
	return n
}

// settingsPool opens a pool on a fixture database the way the plugin does (settings.Load, then
// settings.PoolConfig), with extra JSON settings and, unless 0, maxConns connections.
func settingsPool(ctx context.Context, t *testing.T, extraJSON string, maxConns int32) (*pgxpool.Pool, settings.Settings) {
	t.Helper()
	db := fixtureDB(t)
	host, user := testdb.HostPort()
	if extraJSON != "" {
		extraJSON = ", " + extraJSON
	}
	cfg, err := settings.Load(backend.DataSourceInstanceSettings{
		JSONData: []byte(`{"host": "` + host + `", "database": "` + db.Name + `", "user": "` + user + `"` + extraJSON + `}`),
	})
	if err != nil {
		t.Fatal(err)
	}
	pc, err := cfg.PoolConfig()
	if err != nil {
		t.Fatal(err)
	}
	if maxConns > 0 {
		pc.MaxConns = maxConns
	}
	pool, err := pgxpool.NewWithConfig(ctx, pc)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(pool.Close)
	return pool, cfg
}
