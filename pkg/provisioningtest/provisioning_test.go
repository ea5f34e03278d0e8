package provisioningtest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/jackc/pgx/v5"

	"github.com/peermetrics/grafana-datasource/pkg/plugintest"
	"github.com/peermetrics/grafana-datasource/pkg/seed"
	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

const (
	provisioning = "../../provisioning"
	pluginType   = "peermetrics-webrtc-datasource"
)

// Every query runs over the whole tiny profile: [TinyEnd-3d, TinyEnd).
var rangeFrom, rangeTo = seed.TinyEnd.Add(-72 * time.Hour), seed.TinyEnd

// allowedEmpty lists the panels (dashboard uid / panel title) that may legitimately return no
// rows on the tiny profile, with the reason. Keep it minimal: a panel here hides a broken query.
var allowedEmpty = map[string]string{}

// ---------------------------------------------------------------------------------------------
// Provisioned files

type dashboard struct {
	File        string
	UID         string                       `json:"uid"`
	Title       string                       `json:"title"`
	Templating  struct{ List []templateVar } `json:"templating"`
	Annotations struct {
		List []struct {
			Name       string         `json:"name"`
			Datasource *dsRef         `json:"datasource"`
			Target     map[string]any `json:"target"`
		} `json:"list"`
	} `json:"annotations"`
	Panels []panel `json:"panels"`
	raw    any
}

type panel struct {
	ID              int              `json:"id"`
	Type            string           `json:"type"`
	Title           string           `json:"title"`
	Datasource      *dsRef           `json:"datasource"`
	Targets         []map[string]any `json:"targets"`
	Interval        string           `json:"interval"`
	MaxDataPoints   *int64           `json:"maxDataPoints"`
	GridPos         struct{ W int }  `json:"gridPos"`
	Panels          []panel          `json:"panels"` // collapsed rows
	Options         json.RawMessage  `json:"options"`
	Transformations []struct {
		ID      string          `json:"id"`
		Options json.RawMessage `json:"options"`
	} `json:"transformations"`
	FieldConfig struct {
		Defaults struct {
			Links []struct{ URL string } `json:"links"`
		} `json:"defaults"`
	} `json:"fieldConfig"`
}

func (d *dashboard) panels() []panel {
	var out []panel
	var walk func([]panel)
	walk = func(ps []panel) {
		for _, p := range ps {
			out = append(out, p)
			walk(p.Panels)
		}
	}
	walk(d.Panels)
	return out
}

func (d *dashboard) variable(name string) *templateVar {
	for i := range d.Templating.List {
		if d.Templating.List[i].Name == name {
			return &d.Templating.List[i]
		}
	}
	return nil
}

func loadDashboards(t *testing.T) map[string]*dashboard {
	t.Helper()
	files, _ := filepath.Glob(filepath.Join(provisioning, "dashboards", "*", "*.json"))
	if len(files) == 0 {
		t.Fatal("no provisioned dashboards found")
	}
	out := map[string]*dashboard{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		d := &dashboard{File: filepath.Base(f)}
		if err := json.Unmarshal(b, d); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		_ = json.Unmarshal(b, &d.raw)
		if d.UID == "" || out[d.UID] != nil {
			t.Fatalf("%s: missing or duplicate uid %q", f, d.UID)
		}
		out[d.UID] = d
	}
	return out
}

func readYAML(t *testing.T, path string) map[string]any {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := parseYAML(string(b))
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	m, ok := v.(map[string]any)
	if !ok {
		t.Fatalf("%s: not a mapping", path)
	}
	return m
}

// expandEnv is Grafana's expansion of $VAR and ${VAR} in the string values of provisioning files.
func expandEnv(v any, env map[string]string) any {
	switch x := v.(type) {
	case string:
		return os.Expand(x, func(k string) string { return env[k] })
	case []any:
		out := make([]any, len(x))
		for i := range x {
			out[i] = expandEnv(x[i], env)
		}
		return out
	case map[string]any:
		out := map[string]any{}
		for k := range x {
			out[k] = expandEnv(x[k], env)
		}
		return out
	}
	return v
}

// provisionedDataSource builds the instance settings Grafana makes from
// provisioning/datasources/peermetrics.yaml, with docker-compose's variables pointing at the
// test database. Only pre-warming is switched off (it would race the test's own queries), and
// REDIS_ADDR is empty (the in-process cache; a shared Redis would mix runs).
func provisionedDataSource(t *testing.T, dbName string) backend.DataSourceInstanceSettings {
	t.Helper()
	doc := readYAML(t, filepath.Join(provisioning, "datasources", "peermetrics.yaml"))
	list, _ := doc["datasources"].([]any)
	if len(list) != 1 {
		t.Fatalf("want one provisioned data source, got %d", len(list))
	}
	u, err := url.Parse(testdb.AdminURL())
	if err != nil {
		t.Fatal(err)
	}
	pw, _ := u.User.Password()
	env := map[string]string{
		"PEERMETRICS_DB_HOST": u.Hostname(), "PEERMETRICS_DB_PORT": u.Port(), "PEERMETRICS_DB_NAME": dbName,
		"PEERMETRICS_DB_USER": u.User.Username(), "PEERMETRICS_DB_PASSWORD": pw, "PEERMETRICS_SSLMODE": "disable",
		"PEERMETRICS_APP_IDS": "", "PEERMETRICS_ORG_ID": "", "REDIS_ADDR": "", "REDIS_PASSWORD": "",
		"CACHE_LIVE_TTL_SECONDS": "60",
	}
	if env["PEERMETRICS_DB_PORT"] == "" {
		env["PEERMETRICS_DB_PORT"] = "5432"
	}
	ds := expandEnv(list[0], env).(map[string]any)
	if ds["uid"] != "peermetrics" || ds["type"] != pluginType {
		t.Fatalf("provisioned data source has uid %v type %v", ds["uid"], ds["type"])
	}
	jd, _ := ds["jsonData"].(map[string]any)
	jd["prewarm"] = false
	// Every dashboard runs at once on a small CI machine; fleet quality reads every summary, so the
	// product's 30 s statement timeout leaves no margin under that load.
	jd["queryTimeoutSeconds"] = 120
	js, _ := json.Marshal(jd)
	secrets := map[string]string{}
	if sec, ok := ds["secureJsonData"].(map[string]any); ok {
		for k, v := range sec {
			secrets[k] = fmt.Sprint(v)
		}
	}
	return backend.DataSourceInstanceSettings{ID: 1, UID: "peermetrics", Name: fmt.Sprint(ds["name"]), JSONData: js,
		DecryptedSecureJSONData: secrets, Updated: time.Now()}
}

// ---------------------------------------------------------------------------------------------
// The fixture: one generated database, one plugin process

type fixture struct {
	ds         *dataSource
	dashboards map[string]*dashboard
	ids        map[string]string // values for the id variables, picked from the database

	mu sync.Mutex
	// fields seen per "uid/panelID" (names and display names), for the panels' own data links.
	panelFields map[string]map[string]bool
	// frameLinks are the data links the backend put into frames, with the frame's field names.
	frameLinks []frameLink
	// varValues are the values the variable queries returned ("uid/name").
	varValues map[string][]string
	// ranDashboards is set once every dashboard ran (the link checks need their frames).
	ranDashboards bool
}

type frameLink struct {
	where, url string
	fields     map[string]bool
}

func TestProvisionedDashboardsAndAlertRules(t *testing.T) {
	start := time.Now()
	testdb.New(t) // skips, or fails under CI, when PostgreSQL is missing

	// Build the binary while the tiny profile is generated.
	binDir := t.TempDir()
	var bin string
	var buildErr error
	built := make(chan struct{})
	go func() { defer close(built); bin, buildErr = plugintest.Build(binDir) }()

	ctx := context.Background()
	db, err := testdb.Create(ctx, "pmprov")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = testdb.Drop(context.Background(), db.Name) })
	if _, err := seed.GenerateURL(ctx, db.URL, seed.Profiles["tiny"]); err != nil {
		t.Fatalf("generate tiny profile: %v", err)
	}
	<-built
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	t.Logf("setup (database and binary) took %s", time.Since(start).Round(time.Millisecond))

	fx := &fixture{
		ds:          &dataSource{plugin: plugintest.Start(t, bin, plugintest.Options{}), settings: provisionedDataSource(t, db.Name)},
		dashboards:  loadDashboards(t),
		ids:         pickIDs(t, db.URL),
		panelFields: map[string]map[string]bool{},
		varValues:   map[string][]string{},
	}
	t.Logf("ids from the tiny database: %v", fx.ids)

	t.Run("dashboards", func(t *testing.T) {
		uids := make([]string, 0, len(fx.dashboards))
		for uid := range fx.dashboards {
			uids = append(uids, uid)
		}
		sort.Strings(uids)
		for _, uid := range uids {
			for _, variant := range []string{"all", "selected"} {
				t.Run(uid+"/"+variant, func(t *testing.T) {
					t.Parallel()
					fx.runDashboard(t, fx.dashboards[uid], variant)
					fx.mu.Lock()
					fx.ranDashboards = true
					fx.mu.Unlock()
				})
			}
		}
	})
	t.Run("links", fx.checkLinks)
	t.Run("alerts", fx.checkAlertRules)
	t.Logf("whole test took %s", time.Since(start).Round(time.Millisecond))
}

// pickIDs chooses the detail dashboards' subjects on the tiny profile: an ended conference from
// the raw-stats day (stats rows and a summary) with issues, and a connection of it with stats rows,
// preferring a connection and a session that have issues of their own; its session and
// participant; its app (for the "selected" filters); and its conference id (for the search box).
func pickIDs(t *testing.T, dbURL string) map[string]string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, dbURL)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	var connection, session, participant, conference, app, confID string
	err = conn.QueryRow(ctx, `
SELECT id::text, session_id::text, participant_id::text, conference_id::text, app_id::text, ext_id FROM (
  SELECT k.id, k.session_id, s.participant_id, k.conference_id, c.app_id, c.conference_id AS ext_id,
    (SELECT count(*) FROM app_issue i WHERE i.connection_id = k.id AND i.is_active) AS kiss,
    (SELECT count(*) FROM app_issue i WHERE i.session_id = s.id AND i.is_active) AS siss,
    (SELECT count(*) FROM app_issue i JOIN app_session s2 ON s2.id = i.session_id
      WHERE s2.conference_id = c.id AND i.is_active) AS ciss,
    (SELECT count(*) FROM app_genericevent e WHERE e.connection_id = k.id AND e.type = 'stats') AS kst
  FROM app_connection k JOIN app_session s ON s.id = k.session_id JOIN conference c ON c.id = k.conference_id
    JOIN app a ON a.id = c.app_id JOIN participant p ON p.id = s.participant_id
  WHERE a.is_active AND c.is_active AND s.is_active AND k.is_active AND p.is_active AND NOT p.is_sfu
    AND NOT c.ongoing AND c.created_at >= $1 AND c.created_at < $2
    AND EXISTS (SELECT 1 FROM summary m WHERE m.conference_id = c.id)) x
WHERE kst > 0 AND ciss > 0
ORDER BY kiss > 0 DESC, siss > 0 DESC, ciss DESC, kst DESC, id
LIMIT 1`, rangeFrom, rangeTo).Scan(&connection, &session, &participant, &conference, &app, &confID)
	if err != nil {
		t.Fatalf("pick a conference with stats rows and issues from the tiny database: %v", err)
	}
	return map[string]string{"conference": conference, "session": session, "connection": connection,
		"participant": participant, "app": app, "search": confID}
}

// ---------------------------------------------------------------------------------------------
// Dashboards

// variant "all": every filter variable on All (the provisioned default). Variant "selected": the
// app of the picked conference and, for each multi-value variable, every value its variable query
// returns, selected one by one (a list, not $__all); the textboxes get values that keep the
// picked conference in the list.
var selectedText = map[string]string{"durationMin": "1", "durationMax": "604800"}

func (fx *fixture) resolveVars(t *testing.T, d *dashboard, variant string) *scope {
	t.Helper()
	sc := &scope{vars: map[string]*varState{}, unknown: map[string]bool{}}
	for _, v := range d.Templating.List {
		st := &varState{def: v}
		sc.vars[v.Name] = st
		switch v.Type {
		case "query":
			st.options = fx.variableValues(t, d, sc, v)
			fx.mu.Lock()
			if variant == "all" {
				fx.varValues[d.UID+"/"+v.Name] = st.options
			}
			fx.mu.Unlock()
		case "custom":
			st.options = v.customValues()
		case "textbox", "constant":
			var def string
			_ = json.Unmarshal(v.Query, &def)
			st.values = []string{def}
			if id, ok := fx.ids[v.Name]; ok {
				st.values = []string{id}
			} else if variant == "selected" {
				if s, ok := selectedText[v.Name]; ok {
					st.values = []string{s}
				} else if v.Name == "search" {
					st.values = []string{fx.ids["search"]}
				}
			}
			continue
		default:
			t.Errorf("variable %s: type %q is not handled by this test", v.Name, v.Type)
			continue
		}
		switch {
		case variant == "all" && v.IncludeAll:
			st.all = true
		case v.Name == "app" && variant == "selected":
			if !slices.Contains(st.options, fx.ids["app"]) {
				t.Errorf("variable app: the apps variable query does not list the picked app %s (got %v)", fx.ids["app"], st.options)
			}
			st.values = []string{fx.ids["app"]}
		case len(st.options) == 0:
			t.Errorf("variable %s: no values on the tiny profile", v.Name)
		case v.Multi && variant == "selected":
			st.values = st.options
		default:
			st.values = st.options[:1]
		}
	}
	return sc
}

// variableValues runs a query variable through the backend, as the frontend's variable support does.
func (fx *fixture) variableValues(t *testing.T, d *dashboard, sc *scope, v templateVar) []string {
	t.Helper()
	if v.Datasource == nil || v.Datasource.UID != "peermetrics" {
		t.Errorf("variable %s: data source %v is not the provisioned peermetrics data source", v.Name, v.Datasource)
		return nil
	}
	var target map[string]any
	if err := json.Unmarshal(v.Query, &target); err != nil {
		t.Errorf("variable %s: query is not a query object: %s", v.Name, v.Query)
		return nil
	}
	target["queryType"] = "variable"
	q := sc.applyTemplateVariables(target)
	b, _ := json.Marshal(q)
	res, err := fx.ds.queryData(context.Background(), []query{{RefID: "var", JSON: b, From: rangeFrom, To: rangeTo,
		Interval: time.Minute, MaxDataPoints: 1000}})
	if err != nil {
		t.Fatalf("variable %s over gRPC: %v", v.Name, err)
	}
	r := res.Responses["var"]
	if r.Error != nil {
		t.Errorf("variable %s: query %s failed: %v", v.Name, b, r.Error)
		return nil
	}
	var out []string
	for _, f := range r.Frames {
		fld, _ := f.FieldByName("value")
		if fld == nil {
			t.Errorf("variable %s: frame has no value field", v.Name)
			continue
		}
		for i := 0; i < fld.Len(); i++ {
			if s, ok := fld.ConcreteAt(i); ok {
				out = append(out, fmt.Sprint(s))
			}
		}
	}
	return out
}

type panelQuery struct {
	panel panel
	json  []byte
}

func (fx *fixture) runDashboard(t *testing.T, d *dashboard, variant string) {
	sc := fx.resolveVars(t, d, variant)
	var qs []query
	byRef := map[string]panelQuery{}
	add := func(p panel, refID string, target map[string]any, dsr *dsRef) {
		if hide, _ := target["hide"].(bool); hide {
			return
		}
		if td, ok := target["datasource"].(map[string]any); ok {
			dsr = &dsRef{Type: fmt.Sprint(td["type"]), UID: fmt.Sprint(td["uid"])}
		}
		if dsr == nil || dsr.UID != "peermetrics" || dsr.Type != pluginType {
			t.Errorf("panel %q: data source %v is not the provisioned peermetrics data source", p.Title, dsr)
			return
		}
		q := sc.applyTemplateVariables(target)
		maxDP := int64(max(100, p.GridPos.W*75)) // Grafana: the panel's width in pixels
		if p.MaxDataPoints != nil {
			maxDP = *p.MaxDataPoints
		}
		intervalMs := roundInterval(rangeTo.Sub(rangeFrom).Milliseconds() / maxDP)
		if minMs, err := parseGrafanaDuration(p.Interval); err != nil {
			t.Errorf("panel %q: %v", p.Title, err)
		} else if minMs > intervalMs {
			intervalMs = minMs
		}
		q["intervalMs"], q["maxDataPoints"] = intervalMs, maxDP
		b, _ := json.Marshal(q)
		if left := leftoverVars(b); len(left) > 0 {
			t.Errorf("panel %q: variables left after interpolation %v in %s", p.Title, left, b)
		}
		qs = append(qs, query{RefID: refID, JSON: b, From: rangeFrom, To: rangeTo,
			Interval: time.Duration(intervalMs) * time.Millisecond, MaxDataPoints: maxDP})
		byRef[refID] = panelQuery{panel: p, json: b}
	}
	for _, p := range d.panels() {
		for _, target := range p.Targets {
			add(p, fmt.Sprintf("%d/%v", p.ID, target["refId"]), target, p.Datasource)
		}
	}
	for _, a := range d.Annotations.List {
		if a.Target != nil {
			add(panel{ID: -1, Title: "annotation " + a.Name}, "anno/"+a.Name, a.Target, a.Datasource)
		}
	}
	if len(sc.unknown) > 0 {
		t.Errorf("references to variables the dashboard does not define: %v", sc.unknown)
	}
	if len(qs) == 0 {
		t.Fatal("no queries")
	}
	began := time.Now()
	res, err := fx.ds.queryData(context.Background(), qs)
	if err != nil {
		t.Fatalf("QueryData over gRPC: %v", err)
	}
	t.Logf("%d queries in %s", len(qs), time.Since(began).Round(time.Millisecond))
	rows := map[int]int{}
	var panelOrder []panel
	seenPanel := map[int]bool{}
	for _, q := range qs {
		pq := byRef[q.RefID]
		if !seenPanel[pq.panel.ID] {
			seenPanel[pq.panel.ID] = true
			panelOrder = append(panelOrder, pq.panel)
		}
		r, ok := res.Responses[q.RefID]
		if !ok {
			t.Errorf("panel %q: no response for refId %s", pq.panel.Title, q.RefID)
			continue
		}
		if r.Error != nil {
			t.Errorf("panel %q: query failed (status %d, source %q): %v\n  query: %s", pq.panel.Title, r.Status, r.ErrorSource, r.Error, pq.json)
			rows[pq.panel.ID] = -1 << 30
			continue
		}
		key := fmt.Sprintf("%s/%d", d.UID, pq.panel.ID)
		fx.mu.Lock()
		if fx.panelFields[key] == nil {
			fx.panelFields[key] = map[string]bool{}
		}
		for _, f := range r.Frames {
			if f.Meta == nil || f.Meta.Type == "" || f.Meta.TypeVersion.IsZero() {
				t.Errorf("panel %q: frame %q has no dataplane type and version (SPEC §3)", pq.panel.Title, f.Name)
			}
			names := fieldNames(f)
			for n := range names {
				fx.panelFields[key][n] = true
			}
			for _, fld := range f.Fields {
				if fld.Config == nil {
					continue
				}
				for _, l := range fld.Config.Links {
					fx.frameLinks = append(fx.frameLinks, frameLink{
						where: fmt.Sprintf("%s panel %q field %q link %q", d.UID, pq.panel.Title, fld.Name, l.Title), url: l.URL, fields: names})
				}
			}
			rows[pq.panel.ID] += f.Rows()
		}
		fx.mu.Unlock()
		for _, problem := range panelRenders(pq.panel, r.Frames) {
			t.Errorf("panel %q: %s\n  query: %s", pq.panel.Title, problem, pq.json)
		}
	}
	for _, p := range panelOrder {
		if rows[p.ID] == 0 {
			if why, ok := allowedEmpty[d.UID+"/"+p.Title]; ok {
				t.Logf("panel %q is empty (allowed: %s)", p.Title, why)
				continue
			}
			var js []string
			for _, q := range qs {
				if byRef[q.RefID].panel.ID == p.ID {
					js = append(js, string(byRef[q.RefID].json))
				}
			}
			t.Errorf("panel %q: no rows on the tiny profile\n  queries: %s", p.Title, strings.Join(js, "\n           "))
		}
	}
}

func fieldNames(f *data.Frame) map[string]bool {
	out := map[string]bool{}
	for _, fld := range f.Fields {
		out[fld.Name] = true
		if fld.Config != nil && fld.Config.DisplayNameFromDS != "" {
			out[fld.Config.DisplayNameFromDS] = true
		}
	}
	return out
}

// jsRegexp turns a Grafana field matcher such as "/^(a|b)$/i" into a Go regexp.
func jsRegexp(s string) (*regexp.Regexp, error) {
	if strings.HasPrefix(s, "/") {
		if i := strings.LastIndex(s, "/"); i > 0 {
			flags := s[i+1:]
			s = s[1:i]
			if strings.Contains(flags, "i") {
				s = "(?i)" + s
			}
		}
	} else {
		s = "^" + regexp.QuoteMeta(s) + "$"
	}
	return regexp.Compile(s)
}

// panelRenders checks that what a panel picks from its frames exists: the stat, pie and bar gauge
// field regex, the bar chart's x field, a filterFieldsByName pattern, the geomap's coordinates.
// A panel whose pick matches nothing shows "No data" although its query returned rows.
func panelRenders(p panel, frames data.Frames) []string {
	var problems []string
	if len(frames) == 0 {
		return nil
	}
	matches := func(re *regexp.Regexp, numeric bool) bool {
		for _, f := range frames {
			for _, fld := range f.Fields {
				if numeric && !fld.Type().Numeric() {
					continue
				}
				dn := ""
				if fld.Config != nil {
					dn = fld.Config.DisplayNameFromDS
				}
				if re.MatchString(fld.Name) || (dn != "" && re.MatchString(dn)) {
					return true
				}
			}
		}
		return false
	}
	var opts struct {
		ReduceOptions struct {
			Fields string `json:"fields"`
		} `json:"reduceOptions"`
		XField string `json:"xField"`
		Layers []struct {
			Location struct {
				Mode      string `json:"mode"`
				Latitude  string `json:"latitude"`
				Longitude string `json:"longitude"`
			} `json:"location"`
		} `json:"layers"`
	}
	_ = json.Unmarshal(p.Options, &opts)
	if f := opts.ReduceOptions.Fields; f != "" {
		if re, err := jsRegexp(f); err != nil {
			problems = append(problems, fmt.Sprintf("reduceOptions.fields %q: %v", f, err))
		} else if !matches(re, true) {
			problems = append(problems, fmt.Sprintf("reduceOptions.fields %q matches no numeric field of %v", f, allFieldNames(frames)))
		}
	}
	if opts.XField != "" && !matches(regexp.MustCompile("^"+regexp.QuoteMeta(opts.XField)+"$"), false) {
		problems = append(problems, fmt.Sprintf("xField %q is not a field of %v", opts.XField, allFieldNames(frames)))
	}
	for _, l := range opts.Layers {
		if l.Location.Mode == "coords" {
			for _, n := range []string{l.Location.Latitude, l.Location.Longitude} {
				if !matches(regexp.MustCompile("^"+regexp.QuoteMeta(n)+"$"), true) {
					problems = append(problems, fmt.Sprintf("geomap coordinate field %q is not a numeric field of %v", n, allFieldNames(frames)))
				}
			}
		}
	}
	for _, tr := range p.Transformations {
		if tr.ID != "filterFieldsByName" {
			continue
		}
		var o struct {
			Include struct {
				Pattern string   `json:"pattern"`
				Names   []string `json:"names"`
			} `json:"include"`
		}
		_ = json.Unmarshal(tr.Options, &o)
		if o.Include.Pattern == "" {
			continue
		}
		re, err := jsRegexp("/" + o.Include.Pattern + "/")
		if strings.HasPrefix(o.Include.Pattern, "/") {
			re, err = jsRegexp(o.Include.Pattern)
		}
		if err != nil {
			problems = append(problems, fmt.Sprintf("filterFieldsByName pattern %q: %v", o.Include.Pattern, err))
		} else if !matches(re, true) {
			problems = append(problems, fmt.Sprintf("filterFieldsByName pattern %q keeps no numeric field of %v", o.Include.Pattern, allFieldNames(frames)))
		}
	}
	return problems
}

func allFieldNames(frames data.Frames) []string {
	set := map[string]bool{}
	for _, f := range frames {
		for n := range fieldNames(f) {
			set[n] = true
		}
	}
	out := make([]string, 0, len(set))
	for n := range set {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// ---------------------------------------------------------------------------------------------
// Links

// collectURLs finds every "url" in a dashboard's JSON: dashboard links, panel links, data links in
// field config defaults and overrides.
func collectURLs(v any, path string, out map[string]string) {
	switch x := v.(type) {
	case map[string]any:
		for k, val := range x {
			if s, ok := val.(string); ok && k == "url" {
				out[path+"."+k] = s
				continue
			}
			collectURLs(val, path+"."+k, out)
		}
	case []any:
		for i, val := range x {
			collectURLs(val, fmt.Sprintf("%s[%d]", path, i), out)
		}
	}
}

var (
	dataFieldRef = regexp.MustCompile(`\$\{__data\.fields\.([^}:]+)(?::[^}]*)?\}`)
	macroRef     = regexp.MustCompile(`\$\{(__[a-zA-Z_.]+)(?::[^}]*)?\}`)
)

// checkLink validates a Grafana link URL: /d/<provisioned uid>, var-<name> of a variable of the
// target, ${name:queryparam} of a variable both dashboards have, values of custom variables among
// their options, and ${__data.fields.x} naming a field the frame has (fields nil: unknown).
func (fx *fixture) checkLink(raw string, src *dashboard, fields map[string]bool) []string {
	if strings.HasPrefix(raw, "http://") || strings.HasPrefix(raw, "https://") {
		return nil
	}
	var problems []string
	path, q, _ := strings.Cut(raw, "?")
	if !strings.HasPrefix(path, "/d/") {
		return []string{fmt.Sprintf("%q is not a dashboard link (/d/<uid>)", raw)}
	}
	uid, _, _ := strings.Cut(strings.TrimPrefix(path, "/d/"), "/")
	target := fx.dashboards[uid]
	if target == nil {
		return []string{fmt.Sprintf("%q: no provisioned dashboard has uid %q", raw, uid)}
	}
	for _, m := range dataFieldRef.FindAllStringSubmatch(raw, -1) {
		if fields != nil && !fields[m[1]] {
			problems = append(problems, fmt.Sprintf("%q reads ${__data.fields.%s}, which is not a field of the frame %v", raw, m[1], sortedKeys(fields)))
		}
	}
	for _, m := range macroRef.FindAllStringSubmatch(raw, -1) {
		if name := m[1]; !strings.HasPrefix(name, "__data.fields.") && !slices.Contains([]string{"__url_time_range", "__value.raw",
			"__value.text", "__value.numeric", "__value.time", "__all_variables"}, name) && !strings.HasPrefix(name, "__field.") {
			problems = append(problems, fmt.Sprintf("%q uses the unknown macro ${%s}", raw, name))
		}
	}
	if q == "" {
		return problems
	}
	for _, part := range strings.Split(q, "&") {
		if strings.HasPrefix(part, "${") && strings.HasSuffix(part, "}") {
			name, format, _ := strings.Cut(strings.TrimSuffix(strings.TrimPrefix(part, "${"), "}"), ":")
			if strings.HasPrefix(name, "__") {
				continue
			}
			if format != "queryparam" {
				problems = append(problems, fmt.Sprintf("%q: %s should use the queryparam format", raw, part))
			}
			if src != nil && src.variable(name) == nil {
				problems = append(problems, fmt.Sprintf("%q: %s names no variable of the dashboard the link is on", raw, part))
			}
			if target.variable(name) == nil {
				problems = append(problems, fmt.Sprintf("%q: %s names no variable of %s", raw, part, uid))
			}
			continue
		}
		key, val, _ := strings.Cut(part, "=")
		key, _ = url.QueryUnescape(key)
		name, isVar := strings.CutPrefix(key, "var-")
		if !isVar {
			if !slices.Contains([]string{"from", "to", "orgId", "refresh", "timezone", "viewPanel", "kiosk"}, key) {
				problems = append(problems, fmt.Sprintf("%q: unknown URL parameter %q", raw, key))
			}
			continue
		}
		v := target.variable(name)
		if v == nil {
			problems = append(problems, fmt.Sprintf("%q: var-%s names no variable of %s", raw, name, uid))
			continue
		}
		if strings.Contains(val, "${") {
			continue
		}
		val, _ = url.QueryUnescape(val)
		var known []string
		switch v.Type {
		case "custom":
			known = v.customValues()
		case "query":
			fx.mu.Lock()
			known = fx.varValues[uid+"/"+name]
			fx.mu.Unlock()
		}
		if known != nil && val != "$__all" && !slices.Contains(known, val) {
			problems = append(problems, fmt.Sprintf("%q: %q is not a value of variable %s of %s (values: %v)", raw, val, name, uid, known))
		}
	}
	return problems
}

func sortedKeys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func (fx *fixture) checkLinks(t *testing.T) {
	n := 0
	for _, uid := range sortedKeys(boolKeys(fx.dashboards)) {
		d := fx.dashboards[uid]
		urls := map[string]string{}
		collectURLs(d.raw, "", urls)
		// Panel data links read the panel's frames (${__data.fields.x}).
		panelsOf := map[string][]panel{}
		for _, p := range d.panels() {
			for _, l := range p.FieldConfig.Defaults.Links {
				panelsOf[l.URL] = append(panelsOf[l.URL], p)
			}
		}
		for _, where := range sortedKeys(boolKeys(urls)) {
			u := urls[where]
			n++
			// A panel's data link is checked against the fields of that panel's frames (nil when
			// its query failed, reported above); other links have no frame.
			fieldSets := []map[string]bool{nil}
			if ps := panelsOf[u]; len(ps) > 0 {
				fieldSets = nil
				for _, p := range ps {
					fieldSets = append(fieldSets, fx.panelFields[fmt.Sprintf("%s/%d", uid, p.ID)])
				}
			}
			for _, fields := range fieldSets {
				for _, problem := range fx.checkLink(u, d, fields) {
					t.Errorf("%s %s: %s", d.File, where, problem)
				}
			}
		}
	}
	seen := map[string]bool{}
	for _, l := range fx.frameLinks {
		key := l.url + "\x00" + strings.Join(sortedKeys(l.fields), ",")
		if seen[key] {
			continue
		}
		seen[key] = true
		n++
		for _, problem := range fx.checkLink(l.url, nil, l.fields) {
			t.Errorf("backend link (%s): %s", l.where, problem)
		}
	}
	if fx.ranDashboards && len(fx.frameLinks) == 0 {
		t.Error("the backend returned no data links at all (SPEC §4 wants drilldown links on summaries)")
	}
	t.Logf("checked %d distinct links", n)
}

func boolKeys[V any](m map[string]V) map[string]bool {
	out := map[string]bool{}
	for k := range m {
		out[k] = true
	}
	return out
}

// ---------------------------------------------------------------------------------------------
// Alert rules

var (
	sseTypes    = []string{"math", "reduce", "resample", "classic_conditions", "threshold", "sql"}
	sseReducers = []string{"sum", "mean", "min", "max", "count", "last", "median"}
	sseModes    = []string{"", "dropNN", "replaceNN", "strict"}
	evaluators  = map[string]int{"gt": 1, "lt": 1, "eq": 1, "ne": 1, "gte": 1, "lte": 1, "within_range": 2, "outside_range": 2,
		"within_range_included": 2, "outside_range_included": 2}
	mathRef = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)
	urlRef  = regexp.MustCompile(`/d/[^\s'"<>]+`)
)

func (fx *fixture) checkAlertRules(t *testing.T) {
	files, _ := filepath.Glob(filepath.Join(provisioning, "alerting", "*.y*ml"))
	if len(files) == 0 {
		t.Fatal("no alert rule files")
	}
	for _, file := range files {
		doc := readYAML(t, file)
		groups, _ := doc["groups"].([]any)
		if len(groups) == 0 {
			t.Errorf("%s: no groups", file)
		}
		for _, g := range groups {
			group, _ := g.(map[string]any)
			rules, _ := group["rules"].([]any)
			if len(rules) == 0 {
				t.Errorf("%s: group %v has no rules", file, group["name"])
			}
			for _, r := range rules {
				rule, _ := r.(map[string]any)
				t.Run(fmt.Sprint(rule["uid"]), func(t *testing.T) {
					t.Parallel()
					fx.checkRule(t, rule)
				})
			}
		}
	}
}

func (fx *fixture) checkRule(t *testing.T, rule map[string]any) {
	items, _ := rule["data"].([]any)
	type node struct {
		refID  string
		dsUID  string
		model  map[string]any
		from   time.Time
		to     time.Time
		interv time.Duration
		maxDP  int64
	}
	nodes := map[string]node{}
	var order []string
	for i, it := range items {
		m, _ := it.(map[string]any)
		n := node{refID: fmt.Sprint(m["refId"]), dsUID: fmt.Sprint(m["datasourceUid"])}
		n.model, _ = m["model"].(map[string]any)
		if _, dup := nodes[n.refID]; dup || n.refID == "" {
			t.Errorf("data[%d]: missing or duplicate refId %q", i, n.refID)
		}
		if n.model == nil || fmt.Sprint(n.model["refId"]) != n.refID {
			t.Errorf("data[%d]: model refId %v differs from %s", i, n.model["refId"], n.refID)
		}
		rr, _ := m["relativeTimeRange"].(map[string]any)
		from, _ := rr["from"].(float64)
		to, _ := rr["to"].(float64)
		if n.dsUID != "__expr__" && from <= to {
			t.Errorf("data %s: relativeTimeRange from %v to %v is empty", n.refID, from, to)
		}
		n.from, n.to = seed.TinyEnd.Add(-time.Duration(from)*time.Second), seed.TinyEnd.Add(-time.Duration(to)*time.Second)
		n.interv, n.maxDP = time.Second, 43200 // Grafana's defaults for alert queries
		if v, ok := n.model["intervalMs"].(float64); ok {
			n.interv = time.Duration(v) * time.Millisecond
		}
		if v, ok := n.model["maxDataPoints"].(float64); ok {
			n.maxDP = int64(v)
		}
		nodes[n.refID] = n
		order = append(order, n.refID)
	}
	cond := fmt.Sprint(rule["condition"])
	if _, ok := nodes[cond]; !ok {
		t.Errorf("condition %q is not a refId of the rule (%v)", cond, order)
	}
	// Server-side expressions: known types, references to existing refIds.
	var dsQueries []string
	for _, ref := range order {
		n := nodes[ref]
		switch n.dsUID {
		case "peermetrics":
			dsQueries = append(dsQueries, ref)
			if d, _ := n.model["datasource"].(map[string]any); d != nil && (d["uid"] != "peermetrics" || d["type"] != pluginType) {
				t.Errorf("%s: model datasource %v disagrees with datasourceUid", ref, d)
			}
			continue
		case "__expr__":
		default:
			t.Errorf("%s: datasourceUid %q is neither the provisioned data source nor __expr__", ref, n.dsUID)
			continue
		}
		typ := fmt.Sprint(n.model["type"])
		if !slices.Contains(sseTypes, typ) {
			t.Errorf("%s: unknown expression type %q", ref, typ)
		}
		expr := fmt.Sprint(n.model["expression"])
		var refs []string
		if typ == "math" {
			for _, m := range mathRef.FindAllStringSubmatch(expr, -1) {
				refs = append(refs, m[1])
			}
		} else if typ != "classic_conditions" {
			refs = []string{expr}
		}
		for _, r := range refs {
			if _, ok := nodes[r]; !ok || r == ref {
				t.Errorf("%s: %s expression %q references %q, which is not another refId of the rule (%v)", ref, typ, expr, r, order)
			}
		}
		switch typ {
		case "reduce":
			if red := fmt.Sprint(n.model["reducer"]); !slices.Contains(sseReducers, red) {
				t.Errorf("%s: unknown reducer %q", ref, red)
			}
			if s, _ := n.model["settings"].(map[string]any); s != nil {
				if mode, _ := s["mode"].(string); !slices.Contains(sseModes, mode) {
					t.Errorf("%s: unknown reduce mode %q", ref, mode)
				}
			}
		case "threshold":
			conds, _ := n.model["conditions"].([]any)
			if len(conds) == 0 {
				t.Errorf("%s: threshold without conditions", ref)
			}
			for _, c := range conds {
				ev, _ := c.(map[string]any)["evaluator"].(map[string]any)
				params, _ := ev["params"].([]any)
				if want, ok := evaluators[fmt.Sprint(ev["type"])]; !ok || len(params) < want {
					t.Errorf("%s: threshold evaluator %v", ref, ev)
				}
			}
		}
	}
	if len(dsQueries) == 0 {
		t.Error("the rule queries no data source")
	}
	// The data source queries, over the rule's own window before TinyEnd and over the whole
	// profile (so that the frame shape is also checked with data in every bucket).
	for _, window := range []string{"rule window", "whole profile"} {
		var qs []query
		for _, ref := range dsQueries {
			n := nodes[ref]
			from, to := n.from, n.to
			if window == "whole profile" {
				from, to = rangeFrom, rangeTo
			}
			b, _ := json.Marshal(n.model)
			qs = append(qs, query{RefID: ref, JSON: b, From: from, To: to, Interval: n.interv, MaxDataPoints: n.maxDP})
		}
		res, err := fx.ds.queryData(context.Background(), qs)
		if err != nil {
			t.Fatalf("QueryData over gRPC: %v", err)
		}
		for _, q := range qs {
			r := res.Responses[q.RefID]
			if r.Error != nil {
				t.Errorf("%s (%s): query failed: %v\n  model: %s", q.RefID, window, r.Error, q.JSON)
				continue
			}
			kind, labels, err := sseRead(r.Frames)
			if err != nil {
				t.Errorf("%s (%s): server-side expressions would not accept the frames: %v\n  model: %s", q.RefID, window, err, q.JSON)
				continue
			}
			t.Logf("%s (%s): %s, labels %v", q.RefID, window, kind, labels)
			if window == "whole profile" && kind == "no data" {
				t.Errorf("%s: no data over the whole tiny profile\n  model: %s", q.RefID, q.JSON)
			}
		}
	}
	// Annotations: the linked panel and every dashboard URL in the texts.
	ann, _ := rule["annotations"].(map[string]any)
	if uid, ok := ann["__dashboardUid__"].(string); ok {
		d := fx.dashboards[uid]
		if d == nil {
			t.Errorf("__dashboardUid__ %q is not a provisioned dashboard", uid)
		} else if pid, ok := ann["__panelId__"]; ok {
			found := false
			for _, p := range d.panels() {
				found = found || fmt.Sprint(p.ID) == fmt.Sprint(pid)
			}
			if !found {
				t.Errorf("__panelId__ %v is not a panel of %s", pid, uid)
			}
		}
	}
	for k, v := range ann {
		s, _ := v.(string)
		for _, u := range urlRef.FindAllString(s, -1) {
			for _, problem := range fx.checkLink(strings.TrimRight(u, ".,;)"), nil, nil) {
				t.Errorf("annotation %s: %s", k, problem)
			}
		}
	}
}
