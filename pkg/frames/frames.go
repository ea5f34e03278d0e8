// Package frames builds the data frames the plugin returns: dataplane metadata, the executed SQL,
// units and display names, and the drilldown links of SPEC §4 that lead from every summary number to
// the list of items it counted. Link URLs are API: provisioned dashboards depend on their variable
// names, so they are built here and nowhere else.
package frames

import (
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// Dashboard UIDs of the provisioned drilldown targets (SPEC §4).
const (
	DashOverview    = "peermetrics-overview"
	DashConferences = "peermetrics-conferences"
	DashConference  = "peermetrics-conference"
	DashSession     = "peermetrics-session"
	DashConnection  = "peermetrics-connection"
	DashParticipant = "peermetrics-participant"
	DashIssues      = "peermetrics-issues"
	DashQuality     = "peermetrics-quality"
)

// Meta sets the dataplane type, the executed SQL and the preferred visualisation.
func Meta(f *data.Frame, typ data.FrameType, viz data.VisType, sql string, args []any) {
	f.Meta = &data.FrameMeta{
		Type:                   typ,
		TypeVersion:            data.FrameTypeVersion{0, 1},
		ExecutedQueryString:    Executed(sql, args),
		PreferredVisualization: viz,
	}
}

// Executed renders SQL with its arguments for the query inspector.
func Executed(sql string, args []any) string {
	if len(args) == 0 {
		return sql
	}
	var b strings.Builder
	b.WriteString(sql)
	b.WriteString("\n-- arguments:")
	for i, a := range args {
		switch v := a.(type) {
		case time.Time:
			a = v.UTC().Format(time.RFC3339Nano)
		case []string:
			a = "{" + strings.Join(v, ",") + "}"
		}
		fmt.Fprintf(&b, " $%d=%v", i+1, a)
	}
	return b.String()
}

// Notice adds a frame notice (shown by Grafana above the panel).
func Notice(f *data.Frame, sev data.NoticeSeverity, text string) {
	if f.Meta == nil {
		f.Meta = &data.FrameMeta{}
	}
	f.Meta.Notices = append(f.Meta.Notices, data.Notice{Severity: sev, Text: text})
}

// Config sets a field's display name and unit.
func Config(f *data.Field, display, unit string) *data.Field {
	if f.Config == nil {
		f.Config = &data.FieldConfig{}
	}
	f.Config.DisplayNameFromDS = display
	f.Config.Unit = unit
	return f
}

// AddLink appends a data link to a field.
func AddLink(f *data.Field, title, link string) {
	if f.Config == nil {
		f.Config = &data.FieldConfig{}
	}
	f.Config.Links = append(f.Config.Links, data.DataLink{Title: title, URL: link})
}

// Hide keeps a field out of charts, legends and tooltips while links can still read it.
func Hide(f *data.Field) {
	if f.Config == nil {
		f.Config = &data.FieldConfig{}
	}
	f.Config.Custom = map[string]any{"hideFrom": map[string]bool{"viz": true, "legend": true, "tooltip": true}}
}

// Link builds a dashboard URL. vars are dashboard variables; the time range, when given as
// absolute milliseconds, is the exact range a summary number covers, so the target list shows
// exactly the counted items.
type Link struct {
	Dashboard string
	vars      url.Values
	raw       []string // pre-encoded parts such as ${__value.raw} that url.Values would escape
}

// To starts a link to a dashboard.
func To(dashboard string) *Link { return &Link{Dashboard: dashboard, vars: url.Values{}} }

// Var adds var-<name>=value for each value.
func (l *Link) Var(name string, values ...string) *Link {
	for _, v := range values {
		l.vars.Add("var-"+name, v)
	}
	return l
}

// Raw adds a pre-encoded part (Grafana macro) such as var-conference=${__value.raw}.
func (l *Link) Raw(part string) *Link { l.raw = append(l.raw, part); return l }

// Range fixes the target's time range to [from, to).
func (l *Link) Range(from, to time.Time) *Link {
	l.vars.Set("from", fmt.Sprint(from.UnixMilli()))
	l.vars.Set("to", fmt.Sprint(to.UnixMilli()))
	return l
}

// Filters carries a query's scope-narrowing filters so the target list applies the same ones.
// Variable names are those of the provisioned dashboards.
func (l *Link) Filters(q query.Query) *Link {
	if q.AppID != "" {
		l.Var("app", q.AppID)
	}
	f := q.Filters
	l.Var("browser", f.Browser...)
	l.Var("os", f.OS...)
	l.Var("country", f.Country...)
	l.Var("appVersion", f.AppVersion...)
	l.Var("sdk", f.SDK...)
	l.Var("issueCode", f.IssueCode...)
	l.Var("status", f.Status...)
	if f.DurationMinSeconds != nil {
		l.Var("durationMin", fmt.Sprint(*f.DurationMinSeconds))
	}
	if f.DurationMaxSeconds != nil {
		l.Var("durationMax", fmt.Sprint(*f.DurationMaxSeconds))
	}
	if f.Search != "" {
		l.Var("search", f.Search)
	}
	return l
}

// Set replaces var-<name> with the given values.
func (l *Link) Set(name string, values ...string) *Link {
	l.vars.Del("var-" + name)
	return l.Var(name, values...)
}

// String renders the URL.
func (l *Link) String() string {
	s := "/d/" + l.Dashboard
	parts := []string{}
	if enc := l.vars.Encode(); enc != "" {
		parts = append(parts, enc)
	}
	parts = append(parts, l.raw...)
	if len(parts) > 0 {
		s += "?" + strings.Join(parts, "&")
	}
	return s
}
