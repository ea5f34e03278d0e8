package store_test

import (
	"testing"

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
