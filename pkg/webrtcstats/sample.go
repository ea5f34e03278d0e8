package webrtcstats

import (
	"bytes"
	"encoding/json"
	"errors"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Kind is the media kind of a stream.
type Kind string

// Direction is the direction of a stream as seen from the local peer.
type Direction string

// Media kinds and directions.
const (
	Audio    Kind      = "audio"
	Video    Kind      = "video"
	Inbound  Direction = "in"
	Outbound Direction = "out"
)

// Parse errors. Unknown fields and odd nested shapes are never errors: they are skipped.
var (
	// ErrNotObject: the raw value is not a JSON object (invalid JSON, a list, a scalar, null).
	ErrNotObject = errors.New("webrtcstats: stats row is not a JSON object")
	// ErrNotMainRow: a JSON object without connection, remote, audio or video — typically the
	// per-track row the SDK posts next to the main row, which callers should skip.
	ErrNotMainRow = errors.New("webrtcstats: not a main stats row")
)

// PairStats is the selected ICE candidate pair of a sample.
type PairStats struct {
	ID                   string
	BytesSent            Counter
	BytesReceived        Counter
	ResponsesReceived    Counter
	TotalRoundTripTime   Gauge // seconds, cumulative
	CurrentRoundTripTime Gauge // seconds
}

// RemoteInbound is a remote-inbound-rtp report: what the remote peer says about one of our outbound
// streams (LocalID is that outbound stream's stats id).
type RemoteInbound struct {
	Kind            Kind
	ID              string
	LocalID         string
	RoundTripTime   Gauge // seconds
	Jitter          Gauge // seconds
	FractionLost    Gauge // 0–1, over the last RTCP interval
	PacketsLost     SignedCounter
	PacketsReceived Counter
}

// StreamStats is one inbound-rtp or outbound-rtp entry of a sample, with the direction-specific W3C
// names folded into common fields (Bytes is bytesReceived inbound, bytesSent outbound, and so on).
type StreamStats struct {
	Kind      Kind
	Direction Direction
	ID        string

	Bytes       Counter // bytesReceived | bytesSent
	HeaderBytes Counter // headerBytesReceived | headerBytesSent
	Packets     Counter // packetsReceived | packetsSent
	PacketsLost SignedCounter
	Jitter      Gauge // seconds (inbound)

	JitterBufferDelay        Gauge // seconds, cumulative (inbound)
	JitterBufferEmittedCount Counter
	FECPacketsReceived       Counter

	Frames          Counter // framesDecoded | framesSent (preferred frame counter)
	FramesAlt       Counter // framesReceived | framesEncoded (fallback frame counter)
	FramesPerSecond Gauge   // browser-computed; used only when no frame counter is present
	FrameHeight     Gauge

	// Remote is the remote-inbound report of an outbound stream, from the sample's remote block
	// (matched by localId) or merged into the entry itself by the SDK; nil when there is none.
	Remote *RemoteInbound
}

// Sample is one parsed stats sample of one connection.
type Sample struct {
	Time          time.Time
	Pair          *PairStats // nil when the sample has no candidate pair
	Streams       []StreamStats
	RemoteInbound []RemoteInbound
}

// object is a JSON object with its values kept raw, so that numbers keep every digit.
type object map[string]json.RawMessage

func asObject(raw []byte) (object, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || raw[0] != '{' {
		return nil, false
	}
	var o object
	if err := json.Unmarshal(raw, &o); err != nil {
		return nil, false
	}
	return o, true
}

func (o object) str(key string) string {
	raw, ok := o[key]
	if !ok {
		return ""
	}
	var s string
	if err := json.Unmarshal(raw, &s); err == nil {
		return s
	}
	// ids are strings in every known SDK; accept a plain integer id too.
	if _, err := ParseCounter(raw); err == nil {
		return strings.TrimSpace(string(raw))
	}
	return ""
}

func (o object) obj(key string) object {
	v, _ := asObject(o[key])
	return v
}

func (o object) counter(key string) Counter      { return ReadCounter(o[key]) }
func (o object) signed(key string) SignedCounter { return ReadSignedCounter(o[key]) }
func (o object) gauge(key string) Gauge          { return ReadGauge(o[key]) }
func (o object) nonNegGauge(key string) Gauge {
	g := ReadGauge(o[key])
	if g.Value < 0 {
		return Gauge{}
	}
	return g
}

type keyedEntry struct {
	key string
	obj object
}

// entries reads a list of stats entries, or an object keyed by stats id (the shape webrtc-stats
// builds before serialisation), or a single entry. Non-object elements are skipped.
func entries(raw []byte) []keyedEntry {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 {
		return nil
	}
	switch raw[0] {
	case '[':
		var list []json.RawMessage
		if json.Unmarshal(raw, &list) != nil {
			return nil
		}
		out := make([]keyedEntry, 0, len(list))
		for _, el := range list {
			if o, ok := asObject(el); ok {
				out = append(out, keyedEntry{obj: o})
			}
		}
		return out
	case '{':
		o, ok := asObject(raw)
		if !ok {
			return nil
		}
		if o.str("id") != "" || o.str("type") != "" {
			return []keyedEntry{{obj: o}}
		}
		keys := make([]string, 0, len(o))
		for k := range o {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []keyedEntry
		for _, k := range keys {
			if v, ok := asObject(o[k]); ok {
				out = append(out, keyedEntry{key: k, obj: v})
			}
		}
		return out
	}
	return nil
}

// streamID is the local stats id of an entry. The SDK merges a local report with its remote
// counterpart ({...report, ...remote}), which overwrites id and type with the remote report's; the
// remote report's localId then names the local stream again.
func streamID(e keyedEntry) string {
	typ := e.obj.str("type")
	if typ == "remote-inbound-rtp" || typ == "remote-outbound-rtp" {
		if l := e.obj.str("localId"); l != "" {
			return l
		}
	}
	if id := e.obj.str("id"); id != "" {
		return id
	}
	return e.key
}

func parseRemoteInbound(kind Kind, o object) RemoteInbound {
	return RemoteInbound{
		Kind:            kind,
		ID:              o.str("id"),
		LocalID:         o.str("localId"),
		RoundTripTime:   o.nonNegGauge("roundTripTime"),
		Jitter:          o.nonNegGauge("jitter"),
		FractionLost:    o.nonNegGauge("fractionLost"),
		PacketsLost:     o.signed("packetsLost"),
		PacketsReceived: o.counter("packetsReceived"),
	}
}

// hasRemoteInboundFields tells whether an outbound entry carries a merged remote-inbound report.
func hasRemoteInboundFields(o object) bool {
	if o.str("type") == "remote-inbound-rtp" {
		return true
	}
	_, rtt := o["roundTripTime"]
	_, fl := o["fractionLost"]
	return rtt || fl
}

func parseStream(kind Kind, dir Direction, e keyedEntry, remotes []RemoteInbound) (StreamStats, bool) {
	id := streamID(e)
	if id == "" {
		return StreamStats{}, false
	}
	o := e.obj
	s := StreamStats{Kind: kind, Direction: dir, ID: id,
		FramesPerSecond: o.nonNegGauge("framesPerSecond"),
		FrameHeight:     o.nonNegGauge("frameHeight"),
	}
	if dir == Inbound {
		s.Bytes = o.counter("bytesReceived")
		s.HeaderBytes = o.counter("headerBytesReceived")
		s.Packets = o.counter("packetsReceived")
		s.PacketsLost = o.signed("packetsLost")
		s.Jitter = o.nonNegGauge("jitter")
		s.JitterBufferDelay = o.nonNegGauge("jitterBufferDelay")
		s.JitterBufferEmittedCount = o.counter("jitterBufferEmittedCount")
		s.FECPacketsReceived = o.counter("fecPacketsReceived")
		s.Frames = o.counter("framesDecoded")
		s.FramesAlt = o.counter("framesReceived")
		return s, true
	}
	s.Bytes = o.counter("bytesSent")
	s.HeaderBytes = o.counter("headerBytesSent")
	s.Packets = o.counter("packetsSent")
	s.Frames = o.counter("framesSent")
	s.FramesAlt = o.counter("framesEncoded")
	for i := range remotes {
		if remotes[i].LocalID == id && remotes[i].Kind == kind {
			r := remotes[i]
			s.Remote = &r
			break
		}
	}
	if s.Remote == nil && hasRemoteInboundFields(o) {
		r := parseRemoteInbound(kind, o)
		r.LocalID = id
		s.Remote = &r
	}
	return s, true
}

func parsePair(o object) *PairStats {
	if o == nil {
		return nil
	}
	return &PairStats{
		ID:                   o.str("id"),
		BytesSent:            o.counter("bytesSent"),
		BytesReceived:        o.counter("bytesReceived"),
		ResponsesReceived:    o.counter("responsesReceived"),
		TotalRoundTripTime:   o.nonNegGauge("totalRoundTripTime"),
		CurrentRoundTripTime: o.nonNegGauge("currentRoundTripTime"),
	}
}

var kinds = []Kind{Audio, Video}

func sampleFromObject(t time.Time, o object) (Sample, error) {
	_, hasConn := o["connection"]
	_, hasRemote := o["remote"]
	_, hasAudio := o["audio"]
	_, hasVideo := o["video"]
	if !hasConn && !hasRemote && !hasAudio && !hasVideo {
		return Sample{Time: t}, ErrNotMainRow
	}
	s := Sample{Time: t, Pair: parsePair(o.obj("connection"))}
	remote := o.obj("remote")
	for _, k := range kinds {
		for _, e := range entries(remote.obj(string(k))["inbound"]) {
			s.RemoteInbound = append(s.RemoteInbound, parseRemoteInbound(k, e.obj))
		}
	}
	seen := map[string]bool{}
	for _, k := range kinds {
		media := o.obj(string(k))
		for _, dir := range []struct {
			key string
			dir Direction
		}{{"inbound", Inbound}, {"outbound", Outbound}} {
			for _, e := range entries(media[dir.key]) {
				st, ok := parseStream(k, dir.dir, e, s.RemoteInbound)
				if !ok {
					continue
				}
				key := string(k) + "\x00" + string(dir.dir) + "\x00" + st.ID
				if seen[key] { // summary.data may append a per-track copy of an inline entry: first wins
					continue
				}
				seen[key] = true
				s.Streams = append(s.Streams, st)
			}
		}
	}
	return s, nil
}

// ParseSample parses the data of a main stats row (app_genericevent type "stats") taken at time t
// (the row's created_at): {connection, remote, audio:{inbound, outbound}, video:{...}}. Track lists
// may be JSON lists or objects keyed by stats id. Entries without a stats id, non-object entries,
// unreadable numbers and unknown fields are skipped; the function never panics. It returns
// ErrNotObject for anything but a JSON object and ErrNotMainRow for an object with none of the
// expected blocks (the per-track rows the SDK posts alongside).
func ParseSample(t time.Time, raw []byte) (Sample, error) {
	o, ok := asObject(raw)
	if !ok {
		return Sample{Time: t}, ErrNotObject
	}
	return sampleFromObject(t, o)
}

// Snapshot is one entry of summary.data: a sample of one connection with its owners.
type Snapshot struct {
	ConnectionID  string
	ParticipantID string
	PeerID        string
	SessionID     string
	Sample        Sample
}

var timeLayouts = []string{
	"2006-01-02 15:04:05Z07:00", // Python str(datetime) "2024-05-01 10:00:00.123456+00:00"
	"2006-01-02T15:04:05Z07:00",
	"2006-01-02 15:04:05Z0700",
	"2006-01-02T15:04:05Z0700",
	"2006-01-02 15:04:05Z07", // PostgreSQL text "+00"
	"2006-01-02T15:04:05Z07",
	"2006-01-02 15:04:05", // naive: UTC
	"2006-01-02T15:04:05",
}

// ParseTime reads a created_at value: an ISO-8601/RFC 3339 string, Python's str(datetime) form, a
// PostgreSQL timestamptz text, or a number of milliseconds since the epoch. Results are in UTC.
func ParseTime(raw []byte) (time.Time, bool) {
	raw = bytes.TrimSpace(raw)
	if len(raw) > 0 && raw[0] != '"' {
		ms, err := ParseGauge(raw)
		if err != nil || ms < 0 || ms > 1e15 {
			return time.Time{}, false
		}
		return time.UnixMilli(int64(ms)).UTC(), true
	}
	var s string
	if json.Unmarshal(raw, &s) != nil {
		return time.Time{}, false
	}
	s = strings.TrimSpace(s)
	for _, l := range timeLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.UTC(), true
		}
	}
	if ms, err := strconv.ParseInt(s, 10, 64); err == nil && ms >= 0 {
		return time.UnixMilli(ms).UTC(), true
	}
	return time.Time{}, false
}

// ParseSummary parses summary.data: a list of snapshots {created_at, connection, participant, peer,
// session, data:{connection, remote, audio, video}}. Each snapshot's data goes through the same parser
// as a raw stats row, so raw rows and summaries give the same series (as far as the summary keeps the
// fields: it trims tracks to counters and drops jitterBufferDelay, fecPacketsReceived and the pair's
// currentRoundTripTime). Snapshots without a readable created_at or data are skipped and counted in
// skipped. The result is sorted by time (stable). err is set only when raw is not a JSON list; an
// empty, null or {} column gives no snapshots and no error.
func ParseSummary(raw []byte) (snaps []Snapshot, skipped int, err error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" || string(raw) == "{}" {
		return nil, 0, nil
	}
	var list []json.RawMessage
	if raw[0] != '[' || json.Unmarshal(raw, &list) != nil {
		return nil, 0, errors.New("webrtcstats: summary.data is not a JSON list")
	}
	for _, el := range list {
		o, ok := asObject(el)
		if !ok {
			skipped++
			continue
		}
		t, ok := ParseTime(o["created_at"])
		if !ok {
			skipped++
			continue
		}
		data, ok := asObject(o["data"])
		if !ok {
			skipped++
			continue
		}
		s, err := sampleFromObject(t, data)
		if err != nil {
			skipped++
			continue
		}
		snaps = append(snaps, Snapshot{
			ConnectionID:  o.str("connection"),
			ParticipantID: o.str("participant"),
			PeerID:        o.str("peer"),
			SessionID:     o.str("session"),
			Sample:        s,
		})
	}
	sort.SliceStable(snaps, func(i, j int) bool { return snaps[i].Sample.Time.Before(snaps[j].Sample.Time) })
	return snaps, skipped, nil
}

// SamplesByConnection groups snapshots by connection id, keeping their time order.
func SamplesByConnection(snaps []Snapshot) map[string][]Sample {
	out := map[string][]Sample{}
	for _, s := range snaps {
		out[s.ConnectionID] = append(out[s.ConnectionID], s.Sample)
	}
	return out
}
