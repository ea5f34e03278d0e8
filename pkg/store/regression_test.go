package store_test

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/settings"
	"github.com/peermetrics/grafana-datasource/pkg/store"
)

// An issue-code filter together with grouping by issue code once left an unused placeholder in the
// statement (SQLSTATE 42P18). In app one the active issues with these codes are I1 tcp_used and I4
// ice_failed (I6 sits under a soft-deleted conference, I7 is soft-deleted): one of each.
func TestTimeseriesIssuesByCodeUnderCodeFilter(t *testing.T) {
	pool := fixturePool(t)
	st := store.New(pool, store.Scope{AppIDs: []string{app1}}, settings.Thresholds{})
	f := run(t, st, query.TypeTimeseries, `{"metric":"issues","groupBy":"issueCode","filters":{"issueCode":["ice_failed","tcp_used"]}}`)[0]
	sums := map[string]float64{}
	for _, fld := range f.Fields[1:] {
		for i := 0; i < fld.Len(); i++ {
			if v, ok := fld.ConcreteAt(i); ok {
				switch x := v.(type) {
				case float64:
					sums[fld.Labels["issueCode"]] += x
				case int64:
					sums[fld.Labels["issueCode"]] += float64(x)
				}
			}
		}
	}
	if len(sums) != 2 || sums["ice_failed"] != 1 || sums["tcp_used"] != 1 {
		t.Errorf("issues by code = %v, want ice_failed 1 and tcp_used 1", sums)
	}
}

// followLink runs the conferences list a drilldown link opens: its var-* values become filters and
// its from/to the time range. fields resolves ${__data.fields.<name>} for the clicked row.
func followLink(t *testing.T, st *store.Store, link string, fields map[string]string) int {
	t.Helper()
	for name, v := range fields {
		link = strings.ReplaceAll(link, "${__data.fields."+name+"}", v)
	}
	u, err := url.Parse(link)
	if err != nil || u.Path != "/d/peermetrics-conferences" {
		t.Fatalf("link %q does not open the conferences list", link)
	}
	vals := u.Query()
	ms := func(k string) time.Time {
		n, err := strconv.ParseInt(vals.Get(k), 10, 64)
		if err != nil {
			t.Fatalf("link %q: %s is not epoch milliseconds", link, k)
		}
		return time.UnixMilli(n).UTC()
	}
	filters := map[string]any{}
	for k, v := range vals {
		name, ok := strings.CutPrefix(k, "var-")
		if !ok {
			continue
		}
		switch name {
		case "app":
		case "durationMin", "durationMax":
			n, _ := strconv.Atoi(v[0])
			filters[name+"Seconds"] = n
		case "search":
			filters[name] = v[0]
		default:
			filters[name] = v
		}
	}
	body, _ := json.Marshal(map[string]any{"filters": filters, "limit": 10000, "appId": vals.Get("var-app")})
	q, err := query.Parse(backend.DataQuery{RefID: "L", QueryType: query.TypeConferences, JSON: body,
		TimeRange: backend.TimeRange{From: ms("from"), To: ms("to")}})
	if err != nil {
		t.Fatalf("link %q: %v", link, err)
	}
	frames, err := st.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	return frames[0].Rows()
}

// Every linked number of overview and conferenceStatus equals the size of the list its link opens.
func TestOverviewAndStatusLinksListWhatTheyCount(t *testing.T) {
	pool := fixturePool(t)
	st := store.New(pool, store.Scope{AppIDs: []string{app1}}, settings.Thresholds{})
	for _, body := range []string{`{}`, `{"filters":{"browser":["Firefox"]}}`, `{"filters":{"durationMinSeconds":100}}`} {
		f := run(t, st, query.TypeOverview, body)[0]
		for _, fld := range f.Fields {
			for _, l := range fld.Config.Links {
				want := int(value(t, f, fld.Name))
				if got := followLink(t, st, l.URL, nil); got != want {
					t.Errorf("%s %s = %d but its link lists %d conferences", body, fld.Name, want, got)
				}
			}
		}
	}
	// A range starting mid-day clips the first bucket; the link must clip too.
	q, err := query.Parse(backend.DataQuery{RefID: "A", QueryType: query.TypeConferenceStatus, JSON: []byte(`{}`),
		TimeRange: backend.TimeRange{From: from.Add(11 * time.Hour), To: to}})
	if err != nil {
		t.Fatal(err)
	}
	frames, err := st.Run(context.Background(), q)
	if err != nil {
		t.Fatal(err)
	}
	f := frames[0]
	bs, _ := f.FieldByName("bucketStart")
	be, _ := f.FieldByName("bucketEnd")
	checked := 0
	for _, status := range query.Statuses {
		fld, _ := f.FieldByName(status)
		for i := 0; i < f.Rows(); i++ {
			row := map[string]string{"bucketStart": fmt.Sprint(int64(bs.At(i).(float64))), "bucketEnd": fmt.Sprint(int64(be.At(i).(float64)))}
			want := int(fld.At(i).(int64))
			if got := followLink(t, st, fld.Config.Links[0].URL, row); got != want {
				t.Errorf("%s in bucket %d = %d but its link lists %d conferences", status, i, want, got)
			}
			checked += want
		}
	}
	if checked != 5 { // C2, C3, C4, C8, C5: every conference of app one from day one 11:00 on
		t.Errorf("the buckets count %d conferences, want 5", checked)
	}
}
