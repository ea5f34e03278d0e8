package store

import (
	"context"
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/settings"
	"github.com/peermetrics/grafana-datasource/pkg/webrtcstats"
)

// Derived issue codes: threshold breaches the plugin finds in the stats samples. They are never
// stored; the Peermetrics API writes none of them.
const (
	DerivedHighPacketLoss = "high_packet_loss"
	DerivedHighRTT        = "high_rtt"
	DerivedHighJitter     = "high_jitter"
	DerivedLowMOS         = "low_mos"
)

// DerivedIssue is one episode of a threshold breach on one connection. Start is the time of the
// sample that completed 3 breaching samples out of the last 5; End the time of the sample that
// completed 3 non-breaching out of the last 5, nil while the condition still held at the last sample
// read. Severity is always "warning"; Source is always "derived" (stored issues are "stored").
type DerivedIssue struct {
	Code, Title, Severity, Source string
	Text                          string // one line: what breached, how far, where
	Time                          time.Time
	End                           *time.Time
	ConnectionID, SessionID       string
	ConferenceID, ParticipantID   string   // Peermetrics uuids
	Participant, Peer             string   // readable labels (PeerLabel)
	Streams                       []string // "audio inbound", ... that breached
	Threshold                     float64
	Worst                         float64 // the highest (lowest for MOS) value during the episode
}

type derivedRule struct {
	code      string
	unit      string
	threshold float64
	low       bool // breach when below (MOS)
	get       func(webrtcstats.Point) *float64
}

func derivedRules(th settings.Thresholds) []derivedRule {
	return []derivedRule{
		{DerivedHighPacketLoss, "%", th.LossPct, false, func(p webrtcstats.Point) *float64 { return p.LossPct }},
		{DerivedHighRTT, "ms", th.RTTMs, false, func(p webrtcstats.Point) *float64 { return p.RttMs }},
		{DerivedHighJitter, "ms", th.JitterMs, false, func(p webrtcstats.Point) *float64 { return p.JitterMs }},
		{DerivedLowMOS, "", th.MOS, true, func(p webrtcstats.Point) *float64 { return p.MOS }},
	}
}

// DetectDerived finds the episodes of each rule in the series of one connection, with
// webrtcstats.Detect (3 of 5 on, 3 of 5 off; gap points are nulls that hold the state). Episodes of
// one code on several streams of the connection (RTT, for one, is shared by all of them) are merged
// when they overlap, so a connection has at most one open episode per code. A rule with a zero
// threshold is off (a data source without thresholds derives nothing).
func DetectDerived(series []webrtcstats.Series, th settings.Thresholds) []DerivedIssue {
	var out []DerivedIssue
	for _, r := range derivedRules(th) {
		if r.threshold <= 0 {
			continue
		}
		var eps []DerivedIssue
		for _, sr := range series {
			vals := make([]*float64, len(sr.Points))
			for i, p := range sr.Points {
				vals[i] = r.get(p)
			}
			breach := func(v float64) bool { return v > r.threshold }
			if r.low {
				breach = func(v float64) bool { return v < r.threshold }
			}
			for _, iv := range webrtcstats.Detect(vals, breach) {
				d := DerivedIssue{Code: r.code, Title: IssueTitles[r.code].Title, Severity: "warning", Source: "derived",
					Time: sr.Points[iv.Start].Time, Threshold: r.threshold,
					Streams: []string{string(sr.Key.Kind) + " " + directionNames[sr.Key.Direction]}}
				last := len(vals) - 1
				if !iv.Open() {
					t := sr.Points[iv.End].Time
					d.End = &t
					last = iv.End - 1
				}
				// worst breaching value from the window that started the episode to its last sample
				first := true
				for i := max(0, iv.Start-webrtcstats.HysteresisWindow+1); i <= last; i++ {
					if v := vals[i]; v != nil && breach(*v) && (first || (r.low && *v < d.Worst) || (!r.low && *v > d.Worst)) {
						d.Worst, first = *v, false
					}
				}
				eps = append(eps, d)
			}
		}
		out = append(out, mergeEpisodes(eps, r.low)...)
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		return out[i].Code < out[j].Code
	})
	return out
}

// mergeEpisodes joins overlapping episodes of one code (an open episode reaches to the end).
func mergeEpisodes(eps []DerivedIssue, low bool) []DerivedIssue {
	sort.SliceStable(eps, func(i, j int) bool { return eps[i].Time.Before(eps[j].Time) })
	var out []DerivedIssue
	for _, e := range eps {
		if n := len(out); n > 0 && (out[n-1].End == nil || !e.Time.After(*out[n-1].End)) {
			m := &out[n-1]
			if m.End != nil && (e.End == nil || e.End.After(*m.End)) {
				m.End = e.End
			}
			if (low && e.Worst < m.Worst) || (!low && e.Worst > m.Worst) {
				m.Worst = e.Worst
			}
			for _, s := range e.Streams {
				if !contains(m.Streams, s) {
					m.Streams = append(m.Streams, s)
				}
			}
			continue
		}
		out = append(out, e)
	}
	return out
}

func contains(l []string, s string) bool {
	for _, x := range l {
		if x == s {
			return true
		}
	}
	return false
}

// DerivedIssues computes the derived threshold issues (high_packet_loss, high_rtt, high_jitter,
// low_mos) of the connections of q's conferenceId, sessionId or connectionId, from the same samples
// and series as connectionStats (raw stats rows, else summary.data), with the data source's
// thresholds. Episodes that ended before the range are dropped; one still open at the range's end
// has End nil. Without an entity the result is empty: deriving issues for a whole fleet means
// parsing every sample of the range in Go, which this function does not do (the quality query type
// covers the fleet).
func (s *Store) DerivedIssues(ctx context.Context, q query.Query) ([]DerivedIssue, error) {
	if q.ConnectionID == "" && q.SessionID == "" && q.ConferenceID == "" {
		return nil, nil
	}
	ld, err := s.loadConnectionStats(ctx, q, SourceAuto)
	if err != nil {
		return nil, err
	}
	var out []DerivedIssue
	for _, c := range ld.Conns {
		if len(c.Samples) == 0 {
			continue
		}
		for _, d := range DetectDerived(webrtcstats.BuildSeries(c.Samples), s.thresholds) {
			if d.End != nil && d.End.Before(q.From) || !d.Time.Before(q.To) {
				continue
			}
			d.ConnectionID, d.SessionID, d.ConferenceID, d.ParticipantID = c.ID, c.SessionID, c.ConferenceID, c.ParticipantID
			d.Participant, d.Peer = c.Participant, c.Peer
			d.Text = derivedText(d)
			out = append(out, d)
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if !out[i].Time.Equal(out[j].Time) {
			return out[i].Time.Before(out[j].Time)
		}
		if out[i].ConnectionID != out[j].ConnectionID {
			return out[i].ConnectionID < out[j].ConnectionID
		}
		return out[i].Code < out[j].Code
	})
	return out, nil
}

func derivedText(d DerivedIssue) string {
	what := map[string]string{DerivedHighPacketLoss: "packet loss above %g %%", DerivedHighRTT: "RTT above %g ms",
		DerivedHighJitter: "jitter above %g ms", DerivedLowMOS: "MOS below %g"}[d.Code]
	worst := map[string]string{DerivedHighPacketLoss: "peak %.1f %%", DerivedHighRTT: "peak %.0f ms",
		DerivedHighJitter: "peak %.1f ms", DerivedLowMOS: "lowest %.2f"}[d.Code]
	dur := "still ongoing at the last sample"
	if d.End != nil {
		dur = "for " + d.End.Sub(d.Time).Round(time.Second).String()
	}
	return fmt.Sprintf("%s: "+what+" in 3 of 5 samples, "+worst+", %s, on %s (%s ↔ %s)",
		d.Title, d.Threshold, d.Worst, dur, strings.Join(d.Streams, ", "), d.Participant, d.Peer)
}

// derivedRows are the derived issues an issue list, summary or annotation query shows beside the
// stored ones, with the labels those frames need.
type derivedRows struct {
	issues []DerivedIssue
	// participant uuid → the app's participant id and name; conference uuid → readable name.
	partID, partName, confName map[string]string
}

// derivedForQuery is DerivedIssues for q with the filters DerivedIssues does not apply itself:
// filters.issueCode (on the derived code) and filters.status (on the status of the conference the
// episode belongs to). Scope, app, participant, session and conference-own filters are applied by
// the connection query of DerivedIssues. Empty without conferenceId, sessionId or connectionId.
func (s *Store) derivedForQuery(ctx context.Context, q query.Query) (*derivedRows, error) {
	out := &derivedRows{}
	if !derivedFor(q) {
		return out, nil
	}
	ds, err := s.DerivedIssues(ctx, q)
	if err != nil || len(ds) == 0 {
		return out, err
	}
	if len(q.Filters.IssueCode) > 0 {
		kept := ds[:0]
		for _, d := range ds {
			if contains(q.Filters.IssueCode, d.Code) {
				kept = append(kept, d)
			}
		}
		ds = kept
	}
	if len(ds) == 0 {
		return out, nil
	}
	var confs, parts []string
	for _, d := range ds {
		if !contains(confs, d.ConferenceID) {
			confs = append(confs, d.ConferenceID)
		}
		if d.ParticipantID != "" && !contains(parts, d.ParticipantID) {
			parts = append(parts, d.ParticipantID)
		}
	}
	b := &sqlb{}
	ids := "SELECT unnest(" + b.p(confs) + "::uuid[])"
	sql := "WITH " + statusCTE("dst", ids, true) + `
SELECT 'c', c.id::text, COALESCE(NULLIF(c.conference_name, ''), c.conference_id), dst.status
FROM conference c JOIN dst ON dst.id = c.id
UNION ALL
SELECT 'p', p.id::text, p.participant_id, p.participant_name FROM participant p WHERE p.id = ANY(` + b.p(parts) + `::uuid[])`
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	status := map[string]string{}
	out.partID, out.partName, out.confName = map[string]string{}, map[string]string{}, map[string]string{}
	for rows.Next() {
		var kind, id string
		var a, c *string
		if err := rows.Scan(&kind, &id, &a, &c); err != nil {
			return nil, err
		}
		if kind == "c" {
			out.confName[id], status[id] = derefZero(a), derefZero(c)
		} else {
			out.partID[id], out.partName[id] = derefZero(a), derefZero(c)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	for _, d := range ds {
		if len(q.Filters.Status) == 0 || contains(q.Filters.Status, status[d.ConferenceID]) {
			out.issues = append(out.issues, d)
		}
	}
	return out, nil
}

// derivedFor reports whether derived issues are computed for q: only for a named conference,
// session or connection (a fleet-wide derivation parses every sample of the range in Go).
func derivedFor(q query.Query) bool {
	return q.ConferenceID != "" || q.SessionID != "" || q.ConnectionID != ""
}

// derivedID identifies a derived episode in a list: code, connection and start time.
func derivedID(d DerivedIssue) string {
	return "derived:" + d.Code + ":" + d.ConnectionID + ":" + d.Time.UTC().Format(time.RFC3339Nano)
}

// derivedNotice says which issues a frame holds: stored only (no entity named), or how many derived
// rows were added (frames add it only when there are some).
func derivedNotice(q query.Query, n int) string {
	if !derivedFor(q) {
		return "Stored issues only: derived threshold issues (high_packet_loss, high_rtt, high_jitter, low_mos) are computed only when the query names a conferenceId, sessionId or connectionId."
	}
	return fmt.Sprintf("%d derived threshold issue(s) (source derived: 3 of 5 samples beyond the data source thresholds, from the stats samples in the time range) beside the stored ones.", n)
}
