package plugin_test

import (
	"context"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5"

	"github.com/peermetrics/grafana-datasource/pkg/plugin"
	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

const (
	resApp1 = "00000000-0000-4000-8000-000000000a11"
	resApp3 = "00000000-0000-4000-8000-000000000a13"
)

// resourceDatasource is a data source scoped to app one over a test database holding the store's
// hand-counted lists fixture (pkg/store/testdata/fixture.sql plus lists.sql).
func resourceDatasource(t *testing.T) *plugin.Datasource {
	t.Helper()
	db := testdb.New(t)
	conn, err := pgx.Connect(context.Background(), db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	// lists.sql holds only the additions to fixture.sql, which is loaded first.
	for _, name := range []string{"fixture.sql", "lists.sql"} {
		fixture, err := os.ReadFile("../store/testdata/" + name)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := conn.Exec(context.Background(), string(fixture)); err != nil {
			t.Fatalf("load fixture: %v", err)
		}
	}
	host, user := testdb.HostPort()
	js, _ := json.Marshal(map[string]any{"host": host, "database": db.Name, "user": user, "appIds": []string{resApp1}})
	inst, err := plugin.NewDatasource(context.Background(), backend.DataSourceInstanceSettings{UID: "res", JSONData: js})
	if err != nil {
		t.Fatal(err)
	}
	ds := inst.(*plugin.Datasource)
	t.Cleanup(ds.Dispose)
	return ds
}

func callResource(t *testing.T, ds *plugin.Datasource, method, path string, body []byte) (int, []byte) {
	t.Helper()
	var got *backend.CallResourceResponse
	err := ds.CallResource(context.Background(), &backend.CallResourceRequest{Method: method, Path: strings.SplitN(path, "?", 2)[0], URL: path, Body: body},
		backend.CallResourceResponseSenderFunc(func(r *backend.CallResourceResponse) error { got = r; return nil }))
	if err != nil || got == nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	return got.Status, got.Body
}

func TestResourceValues(t *testing.T) {
	ds := resourceDatasource(t)
	type value struct{ Text, Value string }
	decode := func(b []byte) []value {
		var v []value
		if err := json.Unmarshal(b, &v); err != nil {
			t.Fatalf("body %s: %v", b, err)
		}
		return v
	}
	// Browsers of app one's recent data (the 30 days before its newest conference, C12 on 11-03):
	// Edge (C7, 10-31) included, Opera (app three) never.
	status, body := callResource(t, ds, "GET", "values/browsers", nil)
	if status != 200 {
		t.Fatalf("browsers: %d %s", status, body)
	}
	if got := decode(body); !reflect.DeepEqual(got, []value{{"Chrome", "Chrome"}, {"Edge", "Edge"}, {"Firefox", "Firefox"}, {"Safari", "Safari"}}) {
		t.Errorf("browsers = %+v", got)
	}
	// Apps: only app one is in scope.
	status, body = callResource(t, ds, "GET", "values/apps", nil)
	if got := decode(body); status != 200 || !reflect.DeepEqual(got, []value{{"App one", resApp1}}) {
		t.Errorf("apps = %d %+v", status, got)
	}
	// Participants of conference "c12" (C13 of app three shares the id) matching "ci", limit 5.
	status, body = callResource(t, ds, "GET", "values/participants?conferenceId=c12&search=ci&limit=5&appId="+resApp1, nil)
	if got := decode(body); status != 200 || len(got) != 1 || got[0].Text != "Cid (p3)" {
		t.Errorf("participants = %d %s", status, body)
	}

	for _, tc := range []struct {
		method, path string
		body         []byte
		status       int
		message      string
	}{
		{"GET", "values/browsers?appId=" + resApp3, nil, 403, "outside this data source's scope"},
		{"GET", "values/planets", nil, 404, "unknown value kind"},
		{"GET", "other", nil, 404, "unknown resource"},
		{"GET", "values/browsers?limit=abc", nil, 400, "limit must be"},
		{"GET", "values/browsers?limit=0", nil, 400, "limit must be"},
		{"GET", "values/browsers?appId=nope", nil, 400, "appId must be a uuid"},
		{"GET", "values/browsers?search=" + strings.Repeat("x", 201), nil, 400, "search must be"},
		{"POST", "values/browsers", []byte(`{}`), 405, "GET only"},
		{"GET", "values/browsers", make([]byte, 64<<10+1), 413, "larger than 64 KiB"},
	} {
		status, body := callResource(t, ds, tc.method, tc.path, tc.body)
		var msg struct{ Message string }
		_ = json.Unmarshal(body, &msg)
		if status != tc.status || !strings.Contains(msg.Message, tc.message) {
			t.Errorf("%s %.60s: %d %s, want %d %q", tc.method, tc.path, status, body, tc.status, tc.message)
		}
	}
}
