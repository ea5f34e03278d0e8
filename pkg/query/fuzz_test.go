package query

import (
	"encoding/json"
	"slices"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/peermetrics/grafana-datasource/pkg/settings"
)

// FuzzParse feeds arbitrary query JSON, DataQuery.QueryType and time ranges to Parse. It must never
// panic; an error must be a query error (a 400); and a query it accepts must hold only allowlisted
// names, uuids and bounded numbers, and parse again from its canonical form to the same query (so
// cache keys are stable). `go test` runs the seeds; `go test -fuzz FuzzParse ./pkg/query/` explores.
func FuzzParse(f *testing.F) {
	seeds := []string{
		``, `{}`, `null`, `[]`, `"x"`, `{"queryType":"overview"}`, `{"queryType": "overview", `,
		`{"queryType":"timeseries","metric":"sessions","groupBy":"browser","interval":"1m"}`,
		`{"queryType":"conferences","limit":"25","offset":"$offset","filters":{"browser":["Chrome","$__all"],"status":"error"}}`,
		`{"queryType":"conferences","limit":1e300,"offset":-1}`,
		`{"queryType":"breakdown","groupBy":"city; DROP TABLE app"}`,
		`{"queryType":"participants","conferenceId":"' OR 1=1 --","filters":{"participantId":"p1","search":"%_\\"}}`,
		`{"queryType":"sessions","sessionId":"00000000-0000-4000-8000-000000000D01","appId":"$__all"}`,
		`{"queryType":"variable","variable":"browsers","filters":{"durationMinSeconds":"10","durationMaxSeconds":5}}`,
		`{"queryType":"overview","metric":"mosP50","filters":{"os":[1,2.5,"x"],"country":null,"sdk":""}}`,
		`{"queryType":"overview","filters":{"unknown":1}}`, `{"queryType":"overview","filters":[]}`,
		`{"queryType":"overview","appId":"00000000-0000-4000-8000-000000000A11 "}`,
		"{\"queryType\":\"overview\",\"filters\":{\"search\":\"\\u0000\\ud800\"}}",
	}
	for i, s := range seeds {
		f.Add([]byte(s), "", int64(1793404800+i), int64(86400))
	}
	f.Add([]byte(`{"queryType":"overview"}`), "conferences", int64(0), int64(-5))
	f.Add([]byte(`{}`), "funnel", int64(-62135596800), int64(1<<40))
	f.Fuzz(func(t *testing.T, body []byte, queryType string, fromSec, spanSec int64) {
		from := time.Unix(fromSec, 0)
		dq := backend.DataQuery{RefID: "A", QueryType: queryType, JSON: json.RawMessage(body),
			TimeRange: backend.TimeRange{From: from, To: from.Add(time.Duration(spanSec) * time.Second)}, Interval: time.Minute}
		q, err := Parse(dq)
		if err != nil {
			if !IsError(err) {
				t.Fatalf("Parse returned a non-query error %T: %v", err, err)
			}
			return
		}
		switch {
		case !slices.Contains(Types(), q.QueryType):
			t.Fatalf("accepted queryType %q", q.QueryType)
		case q.AppID != "" && !settings.IsUUID(q.AppID):
			t.Fatalf("accepted appId %q", q.AppID)
		case q.SessionID != "" && !settings.IsUUID(q.SessionID), q.ConnectionID != "" && !settings.IsUUID(q.ConnectionID):
			t.Fatalf("accepted ids %q %q", q.SessionID, q.ConnectionID)
		case q.GroupBy != "" && !slices.Contains(GroupBys, q.GroupBy):
			t.Fatalf("accepted groupBy %q", q.GroupBy)
		case q.Metric != "" && !slices.Contains(Metrics, q.Metric) && !slices.Contains(OverviewFields, q.Metric):
			t.Fatalf("accepted metric %q", q.Metric)
		case q.Limit < 1 || q.Limit > MaxLimit || q.Offset < 0:
			t.Fatalf("accepted limit %d offset %d", q.Limit, q.Offset)
		case !q.To.After(q.From) || q.To.Sub(q.From) > MaxRange:
			t.Fatalf("accepted range %s – %s", q.From, q.To)
		case len(q.ConferenceID) > 64 || len(q.Filters.Search) > 200 || len(q.Filters.ParticipantID) > 64:
			t.Fatalf("accepted oversized strings")
		}
		for _, s := range q.Filters.Status {
			if !slices.Contains(Statuses, s) {
				t.Fatalf("accepted status %q", s)
			}
		}
		// The canonical form is valid JSON that parses back to the same canonical form.
		c := q.Canonical()
		if !json.Valid(c) {
			t.Fatalf("canonical form is not JSON: %s", c)
		}
		dq2 := dq
		dq2.JSON, dq2.QueryType = c, ""
		q2, err := Parse(dq2)
		if err != nil {
			t.Fatalf("canonical form %s does not parse: %v", c, err)
		}
		if c2 := q2.Canonical(); string(c2) != string(c) {
			t.Fatalf("canonical form is not stable:\n%s\n%s", c, c2)
		}
	})
}
