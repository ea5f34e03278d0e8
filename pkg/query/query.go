// Package query is the query model of SPEC §3: what a panel, a variable or an alert rule asks for.
// Parse turns Grafana's JSON into a validated Query with defaults applied; everything after it can
// trust the values (allowlisted names, uuids, bounded limits). Errors from Parse are the user's:
// they become a 400 for that RefID alone.
package query

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/peermetrics/grafana-datasource/pkg/settings"
)

// Query types (SPEC §3).
const (
	TypeOverview             = "overview"
	TypeConferenceStatus     = "conferenceStatus"
	TypeTimeseries           = "timeseries"
	TypeIssueSummary         = "issueSummary"
	TypeGumErrors            = "gumErrors"
	TypeDurationHistogram    = "durationHistogram"
	TypeParticipantHistogram = "participantHistogram"
	TypeSetupTimeHistogram   = "setupTimeHistogram"
	TypeConnectionTypes      = "connectionTypes"
	TypeBreakdown            = "breakdown"
	TypeConferences          = "conferences"
	TypeParticipants         = "participants"
	TypeSessions             = "sessions"
	TypeConnections          = "connections"
	TypeIssues               = "issues"
	TypeEvents               = "events"
	TypeConnectionStats      = "connectionStats"
	TypeQuality              = "quality"
	TypeFunnel               = "funnel"
	TypeAnnotations          = "annotations"
	TypeVariable             = "variable"
)

// GroupBys allowed in breakdown and timeseries.
var GroupBys = []string{"browser", "os", "country", "city", "appVersion", "sdk", "issueCode", "status", "connectionType"}

// Metrics allowed in timeseries.
var Metrics = []string{"conferences", "sessions", "participants", "connections", "issues", "failedConnections",
	"relayedConnections", "gumErrors", "minutes", "setupP50Ms", "setupP95Ms", "mosP50", "lossP95Pct", "rttP95Ms", "jitterP95Ms"}

// OverviewFields are the fields of the overview frame; an overview query may pick one with metric,
// which gives an alert rule exactly one number.
var OverviewFields = []string{"conferences", "participants", "sessions", "connections", "minutes", "conferencesWithErrors",
	"conferencesWithWarnings", "errorRatePct", "relayedPct", "gumErrorRatePct", "setupP50Ms", "setupP95Ms", "mosP50"}

// VariableKinds allowed in variable queries and the values/<kind> resource.
var VariableKinds = []string{"apps", "conferences", "participants", "issueCodes", "browsers", "os", "countries", "appVersions", "sdks"}

// Statuses of a conference, in Peermetrics's precedence order.
var Statuses = []string{"ongoing", "error", "warning", "success"}

const (
	DefaultLimit = 100
	MaxLimit     = 10000
	// MaxRange bounds a query's time range; beyond it a mistake (epoch 0 to year 9999) would scan
	// everything for nothing.
	MaxRange = 5 * 366 * 24 * time.Hour
)

// Filters narrow a query; each applies wherever its dimension exists (SPEC §3).
type Filters struct {
	Browser            []string `json:"browser,omitempty"`
	OS                 []string `json:"os,omitempty"`
	Country            []string `json:"country,omitempty"`
	AppVersion         []string `json:"appVersion,omitempty"`
	SDK                []string `json:"sdk,omitempty"`
	IssueCode          []string `json:"issueCode,omitempty"`
	Status             []string `json:"status,omitempty"`
	DurationMinSeconds *int     `json:"durationMinSeconds,omitempty"`
	DurationMaxSeconds *int     `json:"durationMaxSeconds,omitempty"`
	ParticipantID      string   `json:"participantId,omitempty"`
	Search             string   `json:"search,omitempty"`
}

// Query is one validated query.
type Query struct {
	RefID        string    `json:"-"`
	QueryType    string    `json:"queryType"`
	AppID        string    `json:"appId,omitempty"`
	Filters      Filters   `json:"filters"`
	GroupBy      string    `json:"groupBy,omitempty"`
	Metric       string    `json:"metric,omitempty"`
	ConferenceID string    `json:"conferenceId,omitempty"`
	SessionID    string    `json:"sessionId,omitempty"`
	ConnectionID string    `json:"connectionId,omitempty"`
	Limit        int       `json:"limit"`
	Offset       int       `json:"offset"`
	Variable     string    `json:"variable,omitempty"`
	From         time.Time `json:"-"`
	To           time.Time `json:"-"`
	// Interval is Grafana's suggested bucket step for time series.
	Interval time.Duration `json:"-"`
}

// Error is a problem with the query itself (HTTP 400, error source downstream).
type Error struct{ msg string }

func (e *Error) Error() string { return e.msg }

func errorf(format string, a ...any) error { return &Error{msg: fmt.Sprintf(format, a...)} }

// IsError reports whether err is a query error.
func IsError(err error) bool {
	var qe *Error
	return errors.As(err, &qe)
}

// raw mirrors the JSON with loose types, so wrong types produce our messages, not encoding/json's.
type raw struct {
	QueryType    string          `json:"queryType"`
	AppID        string          `json:"appId"`
	Filters      json.RawMessage `json:"filters"`
	GroupBy      string          `json:"groupBy"`
	Metric       string          `json:"metric"`
	ConferenceID string          `json:"conferenceId"`
	SessionID    string          `json:"sessionId"`
	ConnectionID string          `json:"connectionId"`
	Limit        json.RawMessage `json:"limit"`
	Offset       json.RawMessage `json:"offset"`
	Variable     string          `json:"variable"`
}

// Parse validates a Grafana data query and applies defaults.
func Parse(dq backend.DataQuery) (Query, error) {
	var r raw
	body := bytes.TrimSpace(dq.JSON)
	if len(body) == 0 {
		body = []byte("{}")
	}
	if err := json.Unmarshal(body, &r); err != nil {
		return Query{}, errorf("the query is not valid JSON of the expected shape: %s", jsonProblem(err))
	}
	q := Query{
		RefID:        dq.RefID,
		QueryType:    r.QueryType,
		AppID:        allToEmpty(strings.ToLower(strings.TrimSpace(r.AppID))),
		GroupBy:      r.GroupBy,
		Metric:       r.Metric,
		ConferenceID: strings.TrimSpace(r.ConferenceID),
		SessionID:    strings.ToLower(strings.TrimSpace(r.SessionID)),
		ConnectionID: strings.ToLower(strings.TrimSpace(r.ConnectionID)),
		Variable:     r.Variable,
		From:         dq.TimeRange.From.UTC(),
		To:           dq.TimeRange.To.UTC(),
		Interval:     dq.Interval,
	}
	if q.QueryType == "" {
		q.QueryType = dq.QueryType
	}
	if dq.QueryType != "" && r.QueryType != "" && dq.QueryType != r.QueryType {
		return Query{}, errorf("queryType %q in the query JSON disagrees with %q", r.QueryType, dq.QueryType)
	}
	if err := parseFilters(r.Filters, &q.Filters); err != nil {
		return Query{}, err
	}
	var err error
	if q.Limit, err = intField("limit", r.Limit, DefaultLimit); err != nil {
		return Query{}, err
	}
	if q.Offset, err = intField("offset", r.Offset, 0); err != nil {
		return Query{}, err
	}
	return q, q.validate()
}

func jsonProblem(err error) string {
	var te *json.UnmarshalTypeError
	if errors.As(err, &te) {
		return fmt.Sprintf("field %q must be %s, not %s", te.Field, te.Type.String(), te.Value)
	}
	return err.Error()
}

func intField(name string, b json.RawMessage, def int) (int, error) {
	if len(b) == 0 || string(b) == "null" {
		return def, nil
	}
	var f float64
	if err := json.Unmarshal(b, &f); err != nil {
		// Template variables arrive as strings.
		var s string
		if json.Unmarshal(b, &s) != nil {
			return 0, errorf("%s must be a number", name)
		}
		if s = strings.TrimSpace(s); s == "" {
			return def, nil
		}
		if _, err := fmt.Sscanf(s, "%g", &f); err != nil {
			return 0, errorf("%s must be a number, not %q", name, s)
		}
	}
	if f != float64(int64(f)) || f > 1e9 || f < -1e9 {
		return 0, errorf("%s must be a whole number, not %v", name, f)
	}
	return int(f), nil
}

// stringList accepts a list of strings, a single string, or null.
type stringList []string

func (l *stringList) UnmarshalJSON(b []byte) error {
	var one string
	if json.Unmarshal(b, &one) == nil {
		if one != "" {
			*l = []string{one}
		}
		return nil
	}
	var many []any
	if err := json.Unmarshal(b, &many); err != nil {
		return errors.New("must be a list of strings")
	}
	for _, v := range many {
		switch x := v.(type) {
		case string:
			*l = append(*l, x)
		case float64:
			*l = append(*l, fmt.Sprint(x))
		default:
			return errors.New("must be a list of strings")
		}
	}
	return nil
}

func parseFilters(b json.RawMessage, f *Filters) error {
	if len(b) == 0 || string(b) == "null" {
		return nil
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(b, &m); err != nil {
		return errorf("filters must be an object")
	}
	lists := map[string]*[]string{
		"browser": &f.Browser, "os": &f.OS, "country": &f.Country, "appVersion": &f.AppVersion,
		"sdk": &f.SDK, "issueCode": &f.IssueCode, "status": &f.Status,
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := m[k]
		if dst, ok := lists[k]; ok {
			var l stringList
			if string(v) != "null" {
				if err := json.Unmarshal(v, &l); err != nil {
					return errorf("filters.%s %v", k, err)
				}
			}
			*dst = normalizeList(l)
			continue
		}
		switch k {
		case "durationMinSeconds", "durationMaxSeconds":
			n, err := intField("filters."+k, v, -1)
			if err != nil {
				return err
			}
			if n >= 0 {
				if k == "durationMinSeconds" {
					f.DurationMinSeconds = &n
				} else {
					f.DurationMaxSeconds = &n
				}
			}
		case "participantId", "search":
			var s string
			if string(v) != "null" && json.Unmarshal(v, &s) != nil {
				return errorf("filters.%s must be a string", k)
			}
			if k == "search" {
				f.Search = strings.TrimSpace(s)
			} else {
				f.ParticipantID = strings.TrimSpace(s)
			}
		default:
			return errorf("unknown filter %q (known: browser, os, country, appVersion, sdk, issueCode, status, durationMinSeconds, durationMaxSeconds, participantId, search)", k)
		}
	}
	return nil
}

// allToEmpty reads Grafana's "All" placeholders as no value.
func allToEmpty(s string) string {
	if s == "$__all" || s == "all" || s == "*" {
		return ""
	}
	return s
}

// normalizeList drops empty entries and Grafana's "All" placeholders, sorts and de-duplicates, so
// equal filters give equal cache keys.
func normalizeList(l []string) []string {
	var out []string
	for _, v := range l {
		v = strings.TrimSpace(v)
		if v == "" || v == "$__all" || v == "All" || v == "*" {
			continue
		}
		out = append(out, v)
	}
	sort.Strings(out)
	return slices.Compact(out)
}

var allTypes = []string{TypeOverview, TypeConferenceStatus, TypeTimeseries, TypeIssueSummary, TypeGumErrors,
	TypeDurationHistogram, TypeParticipantHistogram, TypeSetupTimeHistogram, TypeConnectionTypes, TypeBreakdown,
	TypeConferences, TypeParticipants, TypeSessions, TypeConnections, TypeIssues, TypeEvents, TypeConnectionStats,
	TypeQuality, TypeFunnel, TypeAnnotations, TypeVariable}

// Types lists every query type of SPEC §3.
func Types() []string { return slices.Clone(allTypes) }

func (q *Query) validate() error {
	if q.QueryType == "" {
		return errorf("queryType is missing (one of %s)", strings.Join(allTypes, ", "))
	}
	if !slices.Contains(allTypes, q.QueryType) {
		return errorf("unknown queryType %q (one of %s)", q.QueryType, strings.Join(allTypes, ", "))
	}
	if q.AppID != "" && !settings.IsUUID(q.AppID) {
		return errorf("appId %q is not a uuid", q.AppID)
	}
	for name, v := range map[string]string{"sessionId": q.SessionID, "connectionId": q.ConnectionID} {
		if v != "" && !settings.IsUUID(v) {
			return errorf("%s %q is not a uuid", name, v)
		}
	}
	// conferenceId may be the Peermetrics uuid or the app's own conference id (varchar 64).
	if len(q.ConferenceID) > 64 {
		return errorf("conferenceId is longer than 64 characters")
	}
	if len(q.Filters.ParticipantID) > 64 || len(q.Filters.Search) > 200 {
		return errorf("filters.participantId must be at most 64 and filters.search at most 200 characters")
	}
	if q.GroupBy != "" && !slices.Contains(GroupBys, q.GroupBy) {
		return errorf("unknown groupBy %q (one of %s)", q.GroupBy, strings.Join(GroupBys, ", "))
	}
	if q.QueryType == TypeOverview {
		if q.Metric != "" && !slices.Contains(OverviewFields, q.Metric) {
			return errorf("unknown overview metric %q (one of %s)", q.Metric, strings.Join(OverviewFields, ", "))
		}
	} else if q.Metric != "" && !slices.Contains(Metrics, q.Metric) {
		return errorf("unknown metric %q (one of %s)", q.Metric, strings.Join(Metrics, ", "))
	}
	for _, s := range q.Filters.Status {
		if !slices.Contains(Statuses, s) {
			return errorf("unknown status %q in filters.status (one of %s)", s, strings.Join(Statuses, ", "))
		}
	}
	if mn, mx := q.Filters.DurationMinSeconds, q.Filters.DurationMaxSeconds; mn != nil && mx != nil && *mn > *mx {
		return errorf("filters.durationMinSeconds (%d) is greater than durationMaxSeconds (%d)", *mn, *mx)
	}
	if q.Limit < 1 || q.Limit > MaxLimit {
		return errorf("limit must be between 1 and %d, not %d", MaxLimit, q.Limit)
	}
	if q.Offset < 0 {
		return errorf("offset must not be negative, not %d", q.Offset)
	}
	if q.Offset > 1_000_000 {
		return errorf("offset must be at most 1000000")
	}
	if !q.To.After(q.From) {
		return errorf("the time range is empty or reversed (from %s, to %s)", q.From.Format(time.RFC3339), q.To.Format(time.RFC3339))
	}
	if q.To.Sub(q.From) > MaxRange {
		return errorf("the time range is longer than 5 years")
	}
	switch q.QueryType {
	case TypeTimeseries:
		if q.Metric == "" {
			return errorf("timeseries needs a metric (one of %s)", strings.Join(Metrics, ", "))
		}
	case TypeBreakdown:
		if q.GroupBy == "" {
			return errorf("breakdown needs a groupBy (one of %s)", strings.Join(GroupBys, ", "))
		}
	case TypeVariable:
		if !slices.Contains(VariableKinds, q.Variable) {
			return errorf("variable must be one of %s, not %q", strings.Join(VariableKinds, ", "), q.Variable)
		}
	case TypeParticipants, TypeSessions, TypeConnections, TypeIssues, TypeEvents:
		if q.ConferenceID == "" && q.SessionID == "" && q.ConnectionID == "" && q.Filters.ParticipantID == "" {
			return errorf("%s needs a conferenceId, sessionId, connectionId or filters.participantId", q.QueryType)
		}
	case TypeConnectionStats:
		if q.ConferenceID == "" && q.SessionID == "" && q.ConnectionID == "" {
			return errorf("connectionStats needs a conferenceId, sessionId or connectionId")
		}
	}
	return nil
}

// Canonical is the query as JSON with defaults applied and keys in a fixed order, for cache keys.
func (q Query) Canonical() []byte {
	b, _ := json.Marshal(q) // struct field order is fixed; lists are sorted by normalizeList
	return b
}
