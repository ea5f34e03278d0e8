package store

import (
	"context"
	"slices"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// Breakdowns by a session dimension (browser, os, country, city, appVersion, sdk) share one
// statement whose rows the plugin groups by all six at once (sessionBreakdownAll); each breakdown
// keeps its own dimension's rows, then orders and pages them as runBreakdown does.
// The definitions are runBreakdown's. Why: a dashboard shows several of these breakdowns with the
// same filters and range, and each statement is a pass over every session (JSON included), every
// issue and every conference of the range; through Store.Share the dashboard's breakdowns run that
// pass once instead of once per panel.

// sessionDimOrder is the order of the session dimensions in the shared statement's columns.
var sessionDimOrder = []string{"browser", "os", "city", "country", "appVersion", "sdk"}

// sessionBreakdown is the shared statement's result: every dimension's groups, and what ran.
type sessionBreakdown struct {
	Rows     map[string][]breakdownRow `json:"rows"` // by dimension, unordered
	Executed string                    `json:"executed"`
}

func runSessionBreakdown(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	shared := q
	shared.GroupBy, shared.Limit, shared.Offset = "", 0, 0
	all, err := shareJSON(ctx, s, "sessionBreakdown", shared, func(ctx context.Context) (sessionBreakdown, error) {
		return s.sessionBreakdownAll(ctx, shared)
	})
	if err != nil {
		return nil, err
	}
	rows := slices.Clone(all.Rows[q.GroupBy])
	// runBreakdown's order: sessions, then conferences (both descending), then value and country
	// byte-wise (COLLATE "C").
	slices.SortFunc(rows, func(a, b breakdownRow) int {
		switch {
		case a.Sessions != b.Sessions:
			return cmpDesc(a.Sessions, b.Sessions)
		case a.Conferences != b.Conferences:
			return cmpDesc(a.Conferences, b.Conferences)
		case a.Value != b.Value:
			return strings.Compare(a.Value, b.Value)
		}
		return strings.Compare(a.Country, b.Country)
	})
	rows = rows[min(q.Offset, len(rows)):]
	rows = rows[:min(q.Limit, len(rows))]
	return breakdownFrames(q, rows, all.Executed), nil
}

func cmpDesc(a, b int64) int {
	if a > b {
		return -1
	}
	return 1
}

// sessionBreakdownAll runs the shared statement for q (no group-by, limit or offset).
//
// The statement returns one row per session and the plugin groups them: grouping six dimensions
// in SQL took GROUPING SETS over the sessions plus count(DISTINCT conference) per set, whose sorts
// spilled at work_mem 4 MB (seed30, 30 days: 0.8 s of 3.4 s); hashing the rows here costs less
// than their sort (with geoCoord and issueConnActive: 30 days 3.3 → 2.0 s, 7 days 0.55 → 0.3 s).
// Rows: kind 's', a session of the range (sess) with its issues, flagged when its conference is in
// the range's conferences too; kind 'g', another session of such a conference (created outside the
// range, or not in sess because sess is narrowed by an issue code), which only adds to the
// conference counts; kind 'n', the number of conferences (in issues).
func (s *Store) sessionBreakdownAll(ctx context.Context, q query.Query) (sessionBreakdown, error) {
	b := &sqlb{}
	f := q.Filters
	var dimCols, sessCols []string
	for _, d := range sessionDimOrder {
		dimCols = append(dimCols, dim(d, "gs"))
		sessCols = append(sessCols, sessDim(d, "sess"))
	}
	gpreds := append([]string{"gs.is_active"}, b.sessionDimPreds("gs", f)...)
	gpreds = append(gpreds, b.participantPred("gs.participant_id", f))
	// A conference's groups come from all its active sessions that match the session filters. Those
	// created in the range are rows of sess already, unless sess is narrowed by an issue-code filter;
	// only the others are read again from app_session. A row of sess belongs to a conference of conf
	// exactly when that conference was created in the range (conf_in_range): sess has conf's
	// conference filters, and a session matching the session filters makes its conference match them.
	inConfSQL := "false"
	if len(f.IssueCode) == 0 {
		inConfSQL = "sess.conf_in_range"
		gpreds = append(gpreds, "(gs.created_at < "+b.p(q.From)+" OR gs.created_at >= "+b.p(q.To)+" OR gs.created_at IS NULL)")
	}
	sql := b.entityCTEs(q, s.scope, need{conf: true, sess: true, sessDims: true, sessGeo: true, sessConfInRange: len(f.IssueCode) == 0}) + `,
si AS (SELECT i.session_id, count(*) AS issues, bool_or(i.type = 'e') AS has_error FROM app_issue i
  JOIN sess ss ON ss.id = i.session_id
  WHERE i.is_active AND ` + and(b.sincePred("i", q), issueConnActive("i"), b.issueCodePred("i", f)) + `
  GROUP BY 1)
SELECT 's', sess.conference_id, ` + inConfSQL + `, ` + strings.Join(sessCols, ", ") + `, si.issues, si.has_error, sess.la0, sess.lo0
  FROM sess LEFT JOIN si ON si.session_id = sess.id
UNION ALL SELECT 'g', gs.conference_id, true, ` + strings.Join(dimCols, ", ") + `, NULL, NULL, NULL, NULL
  FROM app_session gs JOIN conf ge ON ge.id = gs.conference_id WHERE ` + and(gpreds...) + `
UNION ALL SELECT 'n', NULL, false, '', '', '', '', '', '', count(*), NULL, NULL, NULL FROM conf`
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return sessionBreakdown{}, err
	}
	defer rows.Close()
	g := newSessionGroups()
	var (
		conferences int64
		kind        string
		conf        pgtype.UUID
		inConf      bool
		vals        [6]string
		issues      pgtype.Int8
		hasErr      pgtype.Bool
		la, lo      []byte // JSON values
	)
	dst := []any{&kind, &conf, &inConf, &vals[0], &vals[1], &vals[2], &vals[3], &vals[4], &vals[5], &issues, &hasErr, &la, &lo}
	for rows.Next() {
		if err := rows.Scan(dst...); err != nil {
			return sessionBreakdown{}, err
		}
		switch kind {
		case "s":
			ids := g.ids(vals)
			lat, latOK := geoCoord(la)
			lon, lonOK := geoCoord(lo)
			geo := latOK && lonOK && lat >= -90 && lat <= 90 && lon >= -180 && lon <= 180 && (lat != 0 || lon != 0)
			for _, gi := range ids {
				// As the GROUP BY did: issues (none without a row in si), errors, and the position
				// when it is a valid one (not 0,0).
				s := &g.groups[gi]
				s.sessions++
				s.issues += issues.Int64
				if hasErr.Valid && hasErr.Bool {
					s.errors++
				}
				if geo {
					s.geo++
					s.lat += lat
					s.lon += lon
				}
			}
			if inConf {
				g.addConference(conf.Bytes, ids)
			}
		case "g":
			g.addConference(conf.Bytes, g.ids(vals))
		case "n":
			conferences = issues.Int64
		}
	}
	if err := rows.Err(); err != nil {
		return sessionBreakdown{}, err
	}
	return sessionBreakdown{Rows: g.rows(conferences), Executed: frames.Executed(sql, b.args)}, nil
}

// sessionGroups adds up the shared statement's rows into every dimension's groups.
type sessionGroups struct {
	byValue [6]map[string]uint32 // group of a value, per dimension in sessionDimOrder order (city unused)
	byCity  map[[2]string]uint32 // group of a (city, country)
	groups  []groupSums
	confs   map[[16]byte][]uint32 // a conference's groups, each once
}

type groupSums struct {
	dim, value, country                   string
	sessions, conferences, issues, errors int64
	geo                                   int64 // sessions with a valid position
	lat, lon                              float64
}

// cityDim and countryDim index sessionDimOrder: a city is grouped with its country.
var cityDim, countryDim = slices.Index(sessionDimOrder, "city"), slices.Index(sessionDimOrder, "country")

func newSessionGroups() *sessionGroups {
	g := &sessionGroups{byCity: map[[2]string]uint32{}, confs: map[[16]byte][]uint32{}}
	for i := range g.byValue {
		g.byValue[i] = map[string]uint32{}
	}
	return g
}

// ids are a session's groups, one per dimension, from its values in sessionDimOrder order.
func (g *sessionGroups) ids(v [6]string) [6]uint32 {
	var out [6]uint32
	for d, val := range v {
		if d == cityDim {
			out[d] = g.group(d, [2]string{val, v[countryDim]})
		} else {
			out[d] = g.group(d, [2]string{val})
		}
	}
	return out
}

func (g *sessionGroups) group(d int, k [2]string) uint32 {
	var i uint32
	var ok bool
	if d == cityDim {
		i, ok = g.byCity[k]
	} else {
		i, ok = g.byValue[d][k[0]]
	}
	if ok {
		return i
	}
	i = uint32(len(g.groups))
	if d == cityDim {
		g.byCity[k] = i
	} else {
		g.byValue[d][k[0]] = i
	}
	g.groups = append(g.groups, groupSums{dim: sessionDimOrder[d], value: k[0], country: k[1]})
	return i
}

// addConference notes the groups of a session of conf; rows counts each conference once per group.
// A conference has a few sessions, mostly in the same groups, so a short list per conference
// holds its distinct groups (seed30, 30 days: 90k lists) in less memory than a set of
// (group, conference) pairs.
func (g *sessionGroups) addConference(conf [16]byte, ids [6]uint32) {
	groups := g.confs[conf]
	for _, gi := range ids {
		if !slices.Contains(groups, gi) {
			groups = append(groups, gi)
		}
	}
	g.confs[conf] = groups
}

// rows are the groups by dimension; conferences without a counted session (of all conferences)
// are the group "none" of every dimension.
func (g *sessionGroups) rows(conferences int64) map[string][]breakdownRow {
	for _, groups := range g.confs {
		for _, gi := range groups {
			g.groups[gi].conferences++
		}
	}
	if none := conferences - int64(len(g.confs)); none > 0 {
		for d := range sessionDimOrder {
			g.groups[g.group(d, [2]string{"none", ""})].conferences += none
		}
	}
	out := map[string][]breakdownRow{}
	for _, s := range g.groups {
		r := breakdownRow{Value: s.value, Country: s.country, Sessions: s.sessions, Conferences: s.conferences, Issues: s.issues, Errors: s.errors}
		if s.geo > 0 {
			lat, lon := s.lat/float64(s.geo), s.lon/float64(s.geo)
			r.Lat, r.Lon = &lat, &lon
		}
		out[s.dim] = append(out[s.dim], r)
	}
	return out
}
