package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// panelQuery is one target of one panel of a provisioned dashboard, with the dashboard's variables
// interpolated as Grafana does for their default ("All") values.
type panelQuery struct {
	Dashboard string
	Panel     string
	QueryType string
	Body      []byte // the target as Grafana sends it (datasource removed)
	Key       string // Body re-marshalled with sorted keys: panels with the same Key send the same query
}

// distinctQuery is one query shared by one or more panels of a dashboard.
type distinctQuery struct {
	Key       string
	QueryType string
	Body      []byte
	Panels    []string
	Name      string // short label: queryType plus groupBy when there is one
}

type dashboard struct {
	Name     string
	Panels   []panelQuery
	Distinct []*distinctQuery
}

var varRe = regexp.MustCompile(`\$\{?([A-Za-z_][A-Za-z0-9_]*)\}?`)

// loadDashboard reads dir/name.json and interpolates its variables: vars holds explicit values; an
// unknown variable takes Grafana's "All" value of the provisioned dashboards ($__all, or " " for app).
func loadDashboard(dir, name string, vars map[string]string) (*dashboard, error) {
	raw, err := os.ReadFile(filepath.Join(dir, name+".json"))
	if err != nil {
		return nil, err
	}
	var doc struct {
		Panels []json.RawMessage `json:"panels"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	type panel struct {
		Title   string            `json:"title"`
		Targets []map[string]any  `json:"targets"`
		Panels  []json.RawMessage `json:"panels"`
	}
	d := &dashboard{Name: name}
	var walk func([]json.RawMessage) error
	walk = func(ps []json.RawMessage) error {
		for _, r := range ps {
			var p panel
			if err := json.Unmarshal(r, &p); err != nil {
				return err
			}
			if err := walk(p.Panels); err != nil {
				return err
			}
			for _, t := range p.Targets {
				delete(t, "datasource")
				b, _ := json.Marshal(t)
				s := varRe.ReplaceAllStringFunc(string(b), func(m string) string {
					n := varRe.FindStringSubmatch(m)[1]
					if v, ok := vars[n]; ok {
						return v
					}
					if n == "__all" {
						return m
					}
					return "$__all"
				})
				var m map[string]any
				if err := json.Unmarshal([]byte(s), &m); err != nil {
					return fmt.Errorf("%s/%s: %w", name, p.Title, err)
				}
				key, _ := json.Marshal(m) // encoding/json sorts map keys
				qt, _ := m["queryType"].(string)
				d.Panels = append(d.Panels, panelQuery{Dashboard: name, Panel: p.Title, QueryType: qt, Body: []byte(s), Key: string(key)})
			}
		}
		return nil
	}
	if err := walk(doc.Panels); err != nil {
		return nil, err
	}
	byKey := map[string]*distinctQuery{}
	for _, p := range d.Panels {
		dq := byKey[p.Key]
		if dq == nil {
			var m map[string]any
			_ = json.Unmarshal(p.Body, &m)
			label := p.QueryType
			if g, _ := m["groupBy"].(string); g != "" {
				label += "/" + g
			}
			if mt, _ := m["metric"].(string); mt != "" {
				label += "/" + mt
			}
			dq = &distinctQuery{Key: p.Key, QueryType: p.QueryType, Body: p.Body, Name: label}
			byKey[p.Key] = dq
			d.Distinct = append(d.Distinct, dq)
		}
		dq.Panels = append(dq.Panels, p.Panel)
	}
	// Disambiguate equal labels (same type and groupBy, different bodies).
	seen := map[string]int{}
	for _, q := range d.Distinct {
		seen[q.Name]++
		if seen[q.Name] > 1 {
			q.Name = fmt.Sprintf("%s#%d", q.Name, seen[q.Name])
		}
	}
	return d, nil
}

// grafanaInterval is the $__interval Grafana would send for a range drawn over maxDataPoints points
// (a rounded version of the kbn.roundInterval table).
func grafanaInterval(span time.Duration, maxDataPoints int64) time.Duration {
	raw := span / time.Duration(maxDataPoints)
	steps := []struct{ below, to time.Duration }{
		{15 * time.Millisecond, 10 * time.Millisecond}, {35 * time.Millisecond, 20 * time.Millisecond},
		{75 * time.Millisecond, 50 * time.Millisecond}, {150 * time.Millisecond, 100 * time.Millisecond},
		{350 * time.Millisecond, 200 * time.Millisecond}, {750 * time.Millisecond, 500 * time.Millisecond},
		{1500 * time.Millisecond, time.Second}, {3500 * time.Millisecond, 2 * time.Second},
		{7500 * time.Millisecond, 5 * time.Second}, {12500 * time.Millisecond, 10 * time.Second},
		{17500 * time.Millisecond, 15 * time.Second}, {25 * time.Second, 20 * time.Second},
		{45 * time.Second, 30 * time.Second}, {90 * time.Second, time.Minute},
		{210 * time.Second, 2 * time.Minute}, {450 * time.Second, 5 * time.Minute},
		{750 * time.Second, 10 * time.Minute}, {1050 * time.Second, 15 * time.Minute},
		{1500 * time.Second, 20 * time.Minute}, {2700 * time.Second, 30 * time.Minute},
		{5400 * time.Second, time.Hour}, {9000 * time.Second, 2 * time.Hour},
		{16200 * time.Second, 3 * time.Hour}, {32400 * time.Second, 6 * time.Hour},
		{86400 * time.Second, 12 * time.Hour}, {604800 * time.Second, 24 * time.Hour},
	}
	for _, s := range steps {
		if raw < s.below {
			return s.to
		}
	}
	return 7 * 24 * time.Hour
}

// dataQuery is the backend.DataQuery Grafana sends for a panel target over [from, to).
func dataQuery(body []byte, qt string, from, to time.Time) backend.DataQuery {
	const maxDataPoints = 1000
	return backend.DataQuery{RefID: "A", QueryType: qt, JSON: body, MaxDataPoints: maxDataPoints,
		Interval: grafanaInterval(to.Sub(from), maxDataPoints), TimeRange: backend.TimeRange{From: from, To: to}}
}
