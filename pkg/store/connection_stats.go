package store

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/settings"
	"github.com/peermetrics/grafana-datasource/pkg/webrtcstats"
)

// connectionStats (SPEC §3): per-stream time series of the connections of a connectionId,
// sessionId or conferenceId (the Peermetrics uuid or the app's own conference id, within scope).
//
// Which connections: every active connection (under an active session and conference, in scope)
// of the entity, narrowed by the session-dimension and participant filters. The entity is chosen by
// id, so the time range does not select connections; it selects samples.
//
// Which samples: stats samples timed in [from, to) — Grafana's range, as everywhere (dashboards of a
// conference, session or connection set their range to the entity's life). Samples from up to
// statsLookback before `from` are read too, so that the first point inside the range has a rate;
// points before `from` are then dropped. When the range holds no sample the frame says when the
// connections lived.
//
// Where from: per connection, the raw stats rows of app_genericevent (type 'stats', category 'S'),
// which exist while a conference is ongoing and until POST_CONFERENCE_CLEANUP deletes them; a
// connection without raw rows in the range is read from its conference's summary.data. Raw main
// rows go through webrtcstats.ParseSample; the per-track rows the SDK posts next to them
// ({track: media-source, outbound: {id}}) are matched to the outbound stream by its report id and
// give the stream's trackIdentifier and track label (frame Meta.Custom). Rows that are not JSON
// objects, or objects that are neither a main nor a per-track row, are skipped and counted.
//
// Series: webrtcstats.BuildSeries per connection — rates from counters only, null across counter
// resets, null points across gaps longer than GapFactor (3) × the stream's median interval.
//
// Frames: one per connection × kind × direction (× stats id when a connection has several streams
// of one kind and direction): time + bitrate (bps), packetRate (pps), lossPct (percent), jitterMs,
// rttMs (ms), and mos (inbound audio) or fps and frameHeight (video); labels participant, peer,
// kind, direction, connection (and stream when needed).
//
// Indexes (peermetrics-schema.md): the connections come from app_connection by id, session_id
// (app_connection_session_id_idx) or conference_id (app_connection_conference_id_idx, the
// conference found by conference_conference_id_idx or its primary key); the stats rows by
// app_genericevent_connection_id_idx (a bitmap index scan over the connections' ids, then a
// recheck of type/category/range on the heap: every event of those connections is visited once, no
// other row of the table); the summary by its unique conference_id. No statement scans a table.
// An operator index on (connection_id, created_at) WHERE type = 'stats' would let the range cut the
// index scan for long connections; see the README for measurements.
func init() { register(query.TypeConnectionStats, runConnectionStats) }

// statsLookback is how far before the range stats samples are read so that the first point inside
// the range has a previous sample (6 polls at the Peermetrics default interval of 10 s).
const statsLookback = time.Minute

// StatsSource selects where connectionStats reads samples from.
type StatsSource int

const (
	// SourceAuto: raw stats rows when the connection has some in the range, else summary.data.
	SourceAuto StatsSource = iota
	// SourceRaw: raw stats rows only.
	SourceRaw
	// SourceSummary: summary.data only.
	SourceSummary
)

func (s StatsSource) String() string {
	switch s {
	case SourceRaw:
		return "raw stats rows"
	case SourceSummary:
		return "summary.data"
	}
	return "auto"
}

// statsConn is one connection whose samples are read, with what its labels need.
type statsConn struct {
	ID, SessionID, ConferenceID string
	ParticipantID               string // the local participant's uuid
	Participant                 string // readable: name, else the app's participant id
	Peer                        string // PeerLabel of the remote side
	Created                     time.Time
	End                         *time.Time

	Source  StatsSource // where its samples came from (raw or summary)
	Samples []webrtcstats.Sample
	// tracks maps an outbound stats id to its media-source track (from the per-track rows).
	tracks map[string]trackInfo
}

type trackInfo struct{ Identifier, Label string }

// statsLoad is what loadConnectionStats read.
type statsLoad struct {
	Conns     []*statsConn
	SQL       []string
	Args      [][]any
	RawRows   int // raw main rows parsed
	TrackRows int // per-track rows matched
	Snapshots int // summary snapshots used
	Skipped   int // malformed rows or snapshots skipped
}

// connEntityPred selects the connections of the query's entity.
func (b *sqlb) connEntityPred(q query.Query) string {
	var preds []string
	if q.ConnectionID != "" {
		preds = append(preds, "cn.id = "+b.p(q.ConnectionID)+"::uuid")
	}
	if q.SessionID != "" {
		preds = append(preds, "cn.session_id = "+b.p(q.SessionID)+"::uuid")
	}
	if q.ConferenceID != "" {
		if settings.IsUUID(q.ConferenceID) {
			preds = append(preds, "cn.conference_id IN (SELECT x.id FROM conference x WHERE x.id = "+b.p(strings.ToLower(q.ConferenceID))+
				"::uuid OR x.conference_id = "+b.p(q.ConferenceID)+")")
		} else {
			preds = append(preds, "cn.conference_id IN (SELECT x.id FROM conference x WHERE x.conference_id = "+b.p(q.ConferenceID)+")")
		}
	}
	return and(preds...)
}

// statsConnections lists the connections of the entity, oldest first.
func (s *Store) statsConnections(ctx context.Context, q query.Query, ld *statsLoad) error {
	b := &sqlb{}
	preds := []string{"cn.is_active", "s.is_active", "c.is_active", b.scopePred("c", s.scope, q.AppID), b.connEntityPred(q),
		b.participantPred("cn.participant_id", q.Filters)}
	preds = append(preds, b.sessionDimPreds("s", q.Filters)...)
	preds = append(preds, b.confOwnPreds("c", q.Filters)...)
	sql := `SELECT cn.id::text, cn.session_id::text, cn.conference_id::text, cn.participant_id::text, cn.created_at, cn.end_time,
  COALESCE(NULLIF(p.participant_name, ''), p.participant_id, cn.participant_id::text),
  pr.participant_id, COALESCE(pr.is_sfu, false), pr.participant_name
FROM app_connection cn
JOIN app_session s ON s.id = cn.session_id
JOIN conference c ON c.id = cn.conference_id
LEFT JOIN participant p ON p.id = cn.participant_id
LEFT JOIN participant pr ON pr.id = cn.peer_id
WHERE ` + and(preds...) + `
ORDER BY cn.created_at, cn.id`
	ld.SQL, ld.Args = append(ld.SQL, sql), append(ld.Args, b.args)
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		c := &statsConn{tracks: map[string]trackInfo{}}
		var peerID *string
		var peerName *string
		var peerSFU bool
		if err := rows.Scan(&c.ID, &c.SessionID, &c.ConferenceID, &c.ParticipantID, &c.Created, &c.End,
			&c.Participant, &peerID, &peerSFU, &peerName); err != nil {
			return err
		}
		pid := ""
		if peerID != nil {
			pid = *peerID
		}
		c.Peer = PeerLabel(pid, peerSFU, peerName)
		ld.Conns = append(ld.Conns, c)
	}
	return rows.Err()
}

// loadConnectionStats reads the connections of the entity and their samples in
// [from − statsLookback, to).
//
// A conference dashboard's connectionStats panels and its issues panel (derived issues) load the
// same samples at the same time: through Store.Inflight they read them once.
func (s *Store) loadConnectionStats(ctx context.Context, q query.Query, src StatsSource) (*statsLoad, error) {
	if s.inflightFn == nil {
		return s.loadConnectionStatsNow(ctx, q, src)
	}
	k := q // what the load reads: entity, filters, app and range
	k.QueryType, k.GroupBy, k.Metric, k.Limit, k.Offset, k.Variable = "", "", "", 0, 0, ""
	key := fmt.Sprintf("connectionStats|%d|%s|%d|%d", src, k.Canonical(), q.From.UnixNano(), q.To.UnixNano())
	v, err := s.inflightFn(ctx, key, func(ctx context.Context) (any, error) { return s.loadConnectionStatsNow(ctx, q, src) })
	if err != nil {
		return nil, err
	}
	return v.(*statsLoad), nil
}

func (s *Store) loadConnectionStatsNow(ctx context.Context, q query.Query, src StatsSource) (*statsLoad, error) {
	ld := &statsLoad{}
	if err := s.statsConnections(ctx, q, ld); err != nil {
		return nil, err
	}
	if len(ld.Conns) == 0 {
		return ld, nil
	}
	byID := map[string]*statsConn{}
	ids := make([]string, 0, len(ld.Conns))
	for _, c := range ld.Conns {
		byID[c.ID] = c
		ids = append(ids, c.ID)
	}
	lo, hi := q.From.Add(-statsLookback), q.To
	if src != SourceSummary {
		if err := s.loadRawStats(ctx, ids, lo, hi, byID, ld); err != nil {
			return nil, err
		}
	}
	if src == SourceRaw {
		return ld, nil
	}
	var missing []string
	confs := map[string]bool{}
	var confIDs []string
	for _, c := range ld.Conns {
		if len(c.Samples) == 0 {
			missing = append(missing, c.ID)
			if !confs[c.ConferenceID] {
				confs[c.ConferenceID] = true
				confIDs = append(confIDs, c.ConferenceID)
			}
		}
	}
	if len(missing) == 0 {
		return ld, nil
	}
	return ld, s.loadSummaryStats(ctx, confIDs, missing, lo, hi, byID, ld)
}

func (s *Store) loadRawStats(ctx context.Context, ids []string, lo, hi time.Time, byID map[string]*statsConn, ld *statsLoad) error {
	b := &sqlb{}
	// Per-track rows return only the two ids that match them to their outbound stream; main rows
	// return their data for webrtcstats.ParseSample.
	sql := `SELECT e.connection_id::text, e.created_at,
  (jsonb_typeof(e.data) = 'object' AND e.data ? 'track' AND NOT e.data ? 'audio' AND NOT e.data ? 'video') AS per_track,
  CASE WHEN jsonb_typeof(e.data) = 'object' AND e.data ? 'track' AND NOT e.data ? 'audio' AND NOT e.data ? 'video'
       THEN NULL ELSE e.data END,
  e.data #>> '{outbound,id}', e.data #>> '{track,trackIdentifier}', t.label
FROM app_genericevent e
LEFT JOIN app_track t ON t.id = e.track_id AND t.is_active
WHERE e.connection_id = ANY(` + b.p(ids) + `::uuid[]) AND e.type = 'stats' AND e.category = 'S' AND e.is_active
  AND e.created_at >= ` + b.p(lo) + ` AND e.created_at < ` + b.p(hi) + `
ORDER BY e.connection_id, e.created_at, e.id`
	ld.SQL, ld.Args = append(ld.SQL, sql), append(ld.Args, b.args)
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var connID string
		var t time.Time
		var perTrack *bool
		var raw []byte
		var outID, trackIdent, label *string
		if err := rows.Scan(&connID, &t, &perTrack, &raw, &outID, &trackIdent, &label); err != nil {
			return err
		}
		c := byID[connID]
		if c == nil {
			continue
		}
		if perTrack != nil && *perTrack {
			if outID != nil && *outID != "" {
				ti := trackInfo{}
				if trackIdent != nil {
					ti.Identifier = *trackIdent
				}
				if label != nil {
					ti.Label = *label
				}
				c.tracks[*outID] = ti
				ld.TrackRows++
			} else {
				ld.Skipped++
			}
			continue
		}
		smp, err := webrtcstats.ParseSample(t.UTC(), raw)
		if err != nil {
			ld.Skipped++
			continue
		}
		c.Samples = append(c.Samples, smp)
		c.Source = SourceRaw
		ld.RawRows++
	}
	return rows.Err()
}

func (s *Store) loadSummaryStats(ctx context.Context, confIDs, connIDs []string, lo, hi time.Time, byID map[string]*statsConn, ld *statsLoad) error {
	b := &sqlb{}
	// Only the snapshots of the wanted connections leave the server, in their stored order; the
	// list is rebuilt per conference so that webrtcstats.ParseSummary reads it as it reads a whole
	// summary (malformed snapshots are skipped and counted there). A non-list summary yields
	// nothing and counts as one malformed row.
	sql := `SELECT su.conference_id::text, jsonb_typeof(su.data) = 'array' AS is_list,
  (SELECT jsonb_agg(x.el ORDER BY x.ord) FROM jsonb_array_elements(CASE WHEN jsonb_typeof(su.data) = 'array' THEN su.data ELSE '[]'::jsonb END)
     WITH ORDINALITY AS x(el, ord)
   WHERE x.el ->> 'connection' = ANY(` + b.p(connIDs) + `::text[]))
FROM summary su
WHERE su.conference_id = ANY(` + b.p(confIDs) + `::uuid[]) AND su.is_active AND su.data IS NOT NULL
ORDER BY su.conference_id`
	ld.SQL, ld.Args = append(ld.SQL, sql), append(ld.Args, b.args)
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var confID string
		var isList *bool
		var list []byte
		if err := rows.Scan(&confID, &isList, &list); err != nil {
			return err
		}
		if isList == nil || !*isList {
			if isList != nil && string(list) != "" {
				ld.Skipped++
			}
			continue
		}
		snaps, skipped, err := webrtcstats.ParseSummary(list)
		ld.Skipped += skipped
		if err != nil {
			continue
		}
		for _, sn := range snaps {
			c := byID[strings.ToLower(sn.ConnectionID)]
			if c == nil || len(c.Samples) > 0 && c.Source == SourceRaw {
				continue
			}
			if sn.Sample.Time.Before(lo) || !sn.Sample.Time.Before(hi) {
				continue
			}
			c.Samples = append(c.Samples, sn.Sample)
			c.Source = SourceSummary
			ld.Snapshots++
		}
	}
	return rows.Err()
}

// ConnectionStats runs connectionStats reading from src (SourceAuto is what the query type does;
// the others exist for tests and comparisons).
func (s *Store) ConnectionStats(ctx context.Context, q query.Query, src StatsSource) (data.Frames, error) {
	if q.ConnectionID == "" && q.SessionID == "" && q.ConferenceID == "" {
		return nil, errors.New("connectionStats needs a conferenceId, sessionId or connectionId")
	}
	ld, err := s.loadConnectionStats(ctx, q, src)
	if err != nil {
		return nil, err
	}
	sql := strings.Join(ld.SQL, ";\n")
	var args []any
	for _, a := range ld.Args {
		args = append(args, a...)
	}
	var out data.Frames
	sources := map[StatsSource]int{}
	for _, c := range ld.Conns {
		if len(c.Samples) == 0 {
			continue
		}
		sources[c.Source]++
		series := webrtcstats.BuildSeries(c.Samples)
		multi := map[string]int{}
		for _, sr := range series {
			multi[string(sr.Key.Kind)+"/"+string(sr.Key.Direction)]++
		}
		for _, sr := range series {
			pts := pointsFrom(sr.Points, q.From, q.To)
			if len(pts) == 0 {
				continue
			}
			f := statsFrame(c, sr.Key, pts, multi[string(sr.Key.Kind)+"/"+string(sr.Key.Direction)] > 1)
			out = append(out, f)
		}
	}
	if len(out) == 0 {
		f := data.NewFrame("connectionStats")
		out = append(out, f)
	}
	for _, f := range out {
		var custom any
		if f.Meta != nil {
			custom = f.Meta.Custom
		}
		frames.Meta(f, data.FrameTypeTimeSeriesMulti, data.VisTypeGraph, sql, args)
		f.Meta.Custom = custom
	}
	first := out[0]
	frames.Notice(first, data.NoticeSeverityInfo, sourceNotice(ld, sources))
	if len(ld.Conns) == 0 {
		frames.Notice(first, data.NoticeSeverityWarning, "no active connection of this conference, session or connection in scope")
	} else if len(first.Fields) == 0 {
		lo, hi := ld.Conns[0].Created, ld.Conns[0].Created
		for _, c := range ld.Conns {
			lo = minTime(lo, c.Created)
			if c.End != nil {
				hi = maxTime(hi, *c.End)
			}
		}
		frames.Notice(first, data.NoticeSeverityWarning, fmt.Sprintf("no stats samples between %s and %s; the %d connection(s) lived from %s to %s",
			q.From.Format(time.RFC3339), q.To.Format(time.RFC3339), len(ld.Conns), lo.UTC().Format(time.RFC3339), hi.UTC().Format(time.RFC3339)))
	}
	return out, nil
}

func sourceNotice(ld *statsLoad, sources map[StatsSource]int) string {
	var parts []string
	if n := sources[SourceRaw]; n > 0 {
		parts = append(parts, fmt.Sprintf("raw stats rows for %d connection(s) (%d rows, %d per-track rows)", n, ld.RawRows, ld.TrackRows))
	}
	if n := sources[SourceSummary]; n > 0 {
		parts = append(parts, fmt.Sprintf("summary.data for %d connection(s) (%d snapshots)", n, ld.Snapshots))
	}
	if len(parts) == 0 {
		parts = append(parts, "no samples")
	}
	return "Source: " + strings.Join(parts, "; ") + fmt.Sprintf("; %d malformed row(s) or snapshot(s) skipped", ld.Skipped)
}

// pointsFrom keeps the points inside [from, to).
func pointsFrom(pts []webrtcstats.Point, from, to time.Time) []webrtcstats.Point {
	out := pts[:0:0]
	for _, p := range pts {
		if !p.Time.Before(from) && p.Time.Before(to) {
			out = append(out, p)
		}
	}
	return out
}

var directionNames = map[webrtcstats.Direction]string{webrtcstats.Inbound: "inbound", webrtcstats.Outbound: "outbound"}

func statsFrame(c *statsConn, key webrtcstats.SeriesKey, pts []webrtcstats.Point, withStream bool) *data.Frame {
	dir := directionNames[key.Direction]
	labels := data.Labels{"participant": c.Participant, "peer": c.Peer, "kind": string(key.Kind), "direction": dir, "connection": c.ID}
	arrow := "←"
	if key.Direction == webrtcstats.Outbound {
		arrow = "→"
	}
	prefix := fmt.Sprintf("%s %s %s · %s %s", c.Participant, arrow, c.Peer, key.Kind, dir)
	if withStream {
		labels["stream"] = key.ID
		prefix += " (" + key.ID + ")"
	}
	times := make([]time.Time, len(pts))
	for i, p := range pts {
		times[i] = p.Time
	}
	col := func(get func(webrtcstats.Point) *float64) []*float64 {
		v := make([]*float64, len(pts))
		for i, p := range pts {
			v[i] = get(p)
		}
		return v
	}
	type spec struct {
		name, display, unit string
		get                 func(webrtcstats.Point) *float64
	}
	specs := []spec{
		{"bitrate", "Bitrate", "bps", func(p webrtcstats.Point) *float64 { return p.Bitrate }},
		{"packetRate", "Packet rate", "pps", func(p webrtcstats.Point) *float64 { return p.PacketRate }},
		{"lossPct", "Packet loss", "percent", func(p webrtcstats.Point) *float64 { return p.LossPct }},
		{"jitterMs", "Jitter", "ms", func(p webrtcstats.Point) *float64 { return p.JitterMs }},
		{"rttMs", "RTT", "ms", func(p webrtcstats.Point) *float64 { return p.RttMs }},
	}
	if key.Kind == webrtcstats.Audio && key.Direction == webrtcstats.Inbound {
		specs = append(specs, spec{"mos", "MOS", "none", func(p webrtcstats.Point) *float64 { return p.MOS }})
	}
	if key.Kind == webrtcstats.Video {
		specs = append(specs,
			spec{"fps", "Frame rate (fps)", "none", func(p webrtcstats.Point) *float64 { return p.FPS }},
			spec{"frameHeight", "Frame height (px)", "none", func(p webrtcstats.Point) *float64 { return p.FrameHeight }})
	}
	f := data.NewFrame("connectionStats", data.NewField("time", nil, times))
	for _, sp := range specs {
		fld := data.NewField(sp.name, labels, col(sp.get))
		frames.Config(fld, prefix+" · "+sp.display, sp.unit)
		f.Fields = append(f.Fields, fld)
	}
	f.Meta = &data.FrameMeta{Custom: map[string]any{}}
	custom := map[string]any{"connectionId": c.ID, "sessionId": c.SessionID, "conferenceId": c.ConferenceID,
		"statsId": key.ID, "source": c.Source.String()}
	if ti, ok := c.tracks[key.ID]; ok {
		custom["trackIdentifier"] = ti.Identifier
		if ti.Label != "" {
			custom["trackLabel"] = ti.Label
		}
	}
	f.Meta.Custom = custom
	return f
}

func runConnectionStats(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	return s.ConnectionStats(ctx, q, SourceAuto)
}
