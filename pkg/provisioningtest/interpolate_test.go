package provisioningtest

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// templateVar is a dashboard variable as provisioned.
type templateVar struct {
	Name       string          `json:"name"`
	Type       string          `json:"type"`
	Multi      bool            `json:"multi"`
	IncludeAll bool            `json:"includeAll"`
	AllValue   *string         `json:"allValue"`
	Query      json.RawMessage `json:"query"`
	Datasource *dsRef          `json:"datasource"`
	Options    []struct {
		Value any `json:"value"`
	} `json:"options"`
}

type dsRef struct {
	Type string `json:"type"`
	UID  string `json:"uid"`
}

// customValues are the values of a custom variable (its query is a comma separated list).
func (v templateVar) customValues() []string {
	var q string
	_ = json.Unmarshal(v.Query, &q)
	var out []string
	for _, s := range strings.Split(q, ",") {
		if s = strings.TrimSpace(s); s != "" {
			if k, val, ok := strings.Cut(s, " : "); ok { // "text : value"
				_ = k
				s = strings.TrimSpace(val)
			}
			out = append(out, s)
		}
	}
	return out
}

// varState is a variable's current value: All, or a list of values.
type varState struct {
	def    templateVar
	all    bool
	values []string
	// options are every value the variable offers (what All means without a custom all value).
	options []string
}

// scope is the dashboard's variables with their current values, in dashboard order.
type scope struct {
	vars map[string]*varState
	// unknown collects references to variables the dashboard does not define.
	unknown map[string]bool
}

// Grafana's template variable syntax: $var, [[var:fmt]], ${var.field:fmt} (public/app/features/templating).
var varRef = regexp.MustCompile(`\$(\w+)|\[\[(\w+?)(?::(\w+))?\]\]|\$\{(\w+)(?:\.([^:^\}]+))?(?::([^\}]+))?\}`)

const multiSep = "\x1f" // src/datasource.ts MULTI_SEPARATOR

// replace interpolates s like getTemplateSrv().replace(s, scopedVars, format): format "csv" joins a
// multi-value with commas, "multi" joins with multiSep (the frontend's joinMulti, split again by
// interpolateList). A custom all value is inserted as is (Grafana skips formatting for it).
// Built-in variables ($__all, ${__data.fields.x}, $__interval...) are left alone.
func (s *scope) replace(in, format string) string {
	return varRef.ReplaceAllStringFunc(in, func(m string) string {
		sub := varRef.FindStringSubmatch(m)
		name := sub[1] + sub[2] + sub[4]
		if strings.HasPrefix(name, "__") {
			return m
		}
		v, ok := s.vars[name]
		if !ok {
			s.unknown[name] = true
			return m
		}
		fmtName := format
		if f := sub[3] + sub[6]; f != "" {
			fmtName = f
		}
		vals := v.values
		if v.all {
			if v.def.AllValue != nil && *v.def.AllValue != "" {
				return *v.def.AllValue
			}
			vals = v.options
		}
		switch fmtName {
		case "multi":
			return strings.Join(vals, multiSep)
		case "csv", "raw", "text":
			return strings.Join(vals, ",")
		default:
			s.unknown[name+":"+fmtName] = true
			return strings.Join(vals, ",")
		}
	})
}

// listFilterKeys are the list filters the frontend expands (src/types.ts LIST_FILTER_KEYS).
var listFilterKeys = []string{"browser", "os", "country", "appVersion", "sdk", "issueCode", "status"}

// applyTemplateVariables mirrors DataSource.applyTemplateVariables in src/datasource.ts.
func (s *scope) applyTemplateVariables(target map[string]any) map[string]any {
	q := map[string]any{}
	for k, v := range target {
		q[k] = v
	}
	for _, k := range []string{"appId", "conferenceId", "sessionId", "connectionId", "groupBy", "metric", "variable"} {
		if str, ok := q[k].(string); ok {
			q[k] = s.replace(str, "csv")
		}
	}
	f, ok := q["filters"].(map[string]any)
	if !ok {
		return q
	}
	out := map[string]any{}
	for k, v := range f {
		out[k] = v
	}
	for _, k := range listFilterKeys {
		list, ok := f[k].([]any)
		if !ok {
			continue
		}
		entries := []any{}
		for _, e := range list {
			str, ok := e.(string)
			if !ok {
				entries = append(entries, e)
				continue
			}
			for _, part := range strings.Split(s.replace(str, "multi"), multiSep) {
				if part != "" && !slices.Contains(entries, any(part)) {
					entries = append(entries, part)
				}
			}
		}
		out[k] = entries
	}
	for _, k := range []string{"participantId", "search"} {
		if str, ok := f[k].(string); ok {
			out[k] = s.replace(str, "csv")
		}
	}
	for _, k := range []string{"durationMinSeconds", "durationMaxSeconds"} {
		str, ok := f[k].(string)
		if !ok {
			continue
		}
		v := strings.TrimSpace(s.replace(str, "csv"))
		if v == "" {
			delete(out, k)
		} else if n, err := strconv.ParseFloat(v, 64); err == nil {
			out[k] = n
		} else {
			out[k] = v
		}
	}
	q["filters"] = out
	return q
}

// leftoverVars lists dashboard-variable references still present after interpolation (a field
// the frontend does not interpolate, or a typo); built-ins are ignored.
func leftoverVars(b []byte) []string {
	var out []string
	for _, m := range varRef.FindAllStringSubmatch(string(b), -1) {
		if name := m[1] + m[2] + m[4]; !strings.HasPrefix(name, "__") {
			out = append(out, m[0])
		}
	}
	return out
}

// roundInterval is Grafana's rangeutil.roundInterval (ms → a "nice" interval in ms).
func roundInterval(ms int64) int64 {
	steps := []struct{ below, val int64 }{
		{15, 10}, {35, 20}, {75, 50}, {150, 100}, {350, 200}, {750, 500}, {1500, 1000}, {3500, 2000},
		{7500, 5000}, {12500, 10000}, {17500, 15000}, {25000, 20000}, {45000, 30000}, {90000, 60000},
		{210000, 120000}, {450000, 300000}, {750000, 600000}, {1050000, 900000}, {1500000, 1200000},
		{2700000, 1800000}, {5400000, 3600000}, {9000000, 7200000}, {16200000, 10800000},
		{32400000, 21600000}, {86400000, 43200000}, {604800000, 86400000}, {1814400000, 604800000},
		{3628800000, 2592000000},
	}
	for _, s := range steps {
		if ms < s.below {
			return s.val
		}
	}
	return 31536000000
}

// parseGrafanaDuration reads a panel's min interval such as "1d", "5m", ">10s".
func parseGrafanaDuration(s string) (int64, error) {
	s = strings.TrimPrefix(strings.TrimSpace(s), ">")
	if s == "" {
		return 0, nil
	}
	units := map[string]int64{"ms": 1, "s": 1000, "m": 60000, "h": 3600000, "d": 86400000, "w": 604800000, "y": 31536000000}
	i := strings.IndexFunc(s, func(r rune) bool { return r < '0' || r > '9' })
	if i <= 0 {
		return 0, fmt.Errorf("bad interval %q", s)
	}
	n, _ := strconv.ParseInt(s[:i], 10, 64)
	u, ok := units[s[i:]]
	if !ok {
		return 0, fmt.Errorf("bad interval unit in %q", s)
	}
	return n * u, nil
}
