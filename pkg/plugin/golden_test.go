package plugin_test

import (
	"context"
	"encoding/json"
	"flag"
	"net"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/experimental"
	"github.com/grafana/grafana-plugin-sdk-go/experimental/datasourcetest"
	"github.com/jackc/pgx/v5"

	"github.com/peermetrics/grafana-datasource/pkg/plugin"
	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/seed"
)

// -update rewrites the golden files; CI never passes it.
var updateGolden = flag.Bool("update", false, "rewrite the golden files in testdata/golden")

// TestGoldenQueryTypes runs one query of every query type on the tiny profile through the SDK's
// in-process test server and compares the whole response (frames, metadata, links, notices) with a
// golden file: the SQL and the frames the plugin produces are API, and any change to them shows up
// here as a diff to review.
func TestGoldenQueryTypes(t *testing.T) {
	db := tinyDatabase(t)
	conn, err := pgx.Connect(context.Background(), db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// A conference with stats rows, several connections and issues: the richest drilldown target.
	var conference, connection, session string
	err = conn.QueryRow(context.Background(), `
SELECT c.id::text, min(k.id::text), min(k.session_id::text)
FROM conference c JOIN app_connection k ON k.conference_id = c.id AND k.is_active
WHERE c.is_active AND EXISTS (SELECT 1 FROM app_genericevent e WHERE e.connection_id = k.id AND e.type = 'stats')
  AND EXISTS (SELECT 1 FROM app_issue i WHERE i.conference_id = c.id)
GROUP BY c.id ORDER BY count(*) DESC, c.id LIMIT 1`).Scan(&conference, &connection, &session)
	if err != nil {
		t.Fatal(err)
	}

	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	tp, err := datasourcetest.Manage(plugin.NewDatasource, datasourcetest.ManageOpts{Address: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = tp.Shutdown() }()

	s := testDBSettings(db)
	js, _ := json.Marshal(s.JSON)
	pctx := backend.PluginContext{OrgID: 1, PluginID: "peermetrics-webrtc-datasource",
		DataSourceInstanceSettings: &backend.DataSourceInstanceSettings{ID: 7, UID: "golden", JSONData: js, Updated: time.Unix(1700000000, 0)}}

	from, to := seed.TinyEnd.Add(-3*24*time.Hour), seed.TinyEnd
	queries := map[string]string{
		query.TypeOverview:             `{}`,
		query.TypeConferenceStatus:     `{}`,
		query.TypeTimeseries:           `{"metric":"conferences","groupBy":"browser"}`,
		query.TypeIssueSummary:         `{}`,
		query.TypeGumErrors:            `{}`,
		query.TypeDurationHistogram:    `{}`,
		query.TypeParticipantHistogram: `{}`,
		query.TypeSetupTimeHistogram:   `{}`,
		query.TypeConnectionTypes:      `{}`,
		query.TypeBreakdown:            `{"groupBy":"country"}`,
		query.TypeConferences:          `{"limit":20}`,
		query.TypeParticipants:         `{"conferenceId":"` + conference + `"}`,
		query.TypeSessions:             `{"conferenceId":"` + conference + `"}`,
		query.TypeConnections:          `{"conferenceId":"` + conference + `"}`,
		query.TypeIssues:               `{"conferenceId":"` + conference + `"}`,
		query.TypeEvents:               `{"sessionId":"` + session + `","limit":50}`,
		query.TypeConnectionStats:      `{"connectionId":"` + connection + `"}`,
		query.TypeQuality:              `{}`,
		query.TypeFunnel:               `{}`,
		query.TypeAnnotations:          `{"limit":20}`,
		query.TypeVariable:             `{"variable":"browsers"}`,
	}
	req := &backend.QueryDataRequest{PluginContext: pctx}
	for _, qt := range query.Types() {
		body, ok := queries[qt]
		if !ok {
			t.Fatalf("no golden query for %s", qt)
		}
		req.Queries = append(req.Queries, backend.DataQuery{RefID: qt, QueryType: qt, JSON: json.RawMessage(body),
			TimeRange: backend.TimeRange{From: from, To: to}, Interval: time.Hour, MaxDataPoints: 100})
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	res, err := tp.Client.QueryData(ctx, req)
	if err != nil {
		t.Fatal(err)
	}
	for _, qt := range query.Types() {
		t.Run(qt, func(t *testing.T) {
			dr := res.Responses[qt]
			if dr.Error != nil {
				t.Fatalf("%s: %v", qt, dr.Error)
			}
			if len(dr.Frames) == 0 || dr.Frames[0].Rows() == 0 {
				t.Fatalf("%s returned no data on the tiny profile", qt)
			}
			experimental.CheckGoldenJSONResponse(t, "testdata/golden", qt, &dr, *updateGolden)
		})
	}
}
