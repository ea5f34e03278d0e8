package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
	"sort"
	"time"
)

const (
	tabOrg = iota
	tabApp
	tabParticipant
	tabConference
	tabPartConf
	tabSession
	tabConnection
	tabTrack
	tabEvent
	tabIssue
	tabSummary
	numTables
)

var columns = [numTables][]string{
	{"id", "created_at", "is_active", "name"},
	{"id", "created_at", "is_active", "name", "api_key", "domain", "interval", "recording", "durations_days", "organization_id"},
	{"id", "created_at", "is_active", "participant_id", "participant_name", "is_sfu", "app_id"},
	{"id", "created_at", "is_active", "conference_id", "conference_name", "conference_info", "start_time", "call_start", "end_time", "ongoing", "duration", "app_id"},
	{"id", "participant_id", "conference_id"},
	{"id", "created_at", "is_active", "constraints", "devices", "platform", "metadata", "geo_ip", "session_info", "app_version", "webrtc_sdk", "duration", "end_time", "call_start", "conference_id", "participant_id"},
	{"id", "created_at", "is_active", "type", "state", "connection_info", "start_time", "end_time", "duration", "session_id", "conference_id", "participant_id", "peer_id"},
	{"id", "created_at", "is_active", "kind", "direction", "track_id", "label", "track_info", "session_id", "connection_id"},
	{"id", "created_at", "is_active", "type", "category", "data", "app_id", "conference_id", "participant_id", "session_id", "peer_id", "connection_id", "track_id"},
	{"id", "created_at", "is_active", "type", "code", "data", "session_id", "conference_id", "participant_id", "connection_id", "track_id"},
	{"id", "created_at", "is_active", "status", "version", "end_time", "data", "conference_id"},
}

type batch struct {
	rows      [numTables][][]any
	confsDone int // conferences generated so far, this batch included
}

func (b *batch) add(t int, row ...any) { b.rows[t] = append(b.rows[t], row) }

func (b *batch) size() int {
	n := 0
	for _, r := range b.rows {
		n += len(r)
	}
	return n
}

// Coverage scenarios: the first len(behaviours) conferences of every day get one each (plus forced
// duration, setup-time and topology cycles), so a small profile hits every case by construction.
const (
	bGumObj = iota
	bGumString
	bGumList
	bGumSQLNull
	bGumJSONNull
	bNoMediaAccess
	bIceFailed
	bNoConnection
	bLowEmos
	bVeryLowEmos
	bIceCandErr
	bDisconnectReset
	bTypeNull
	bRejoin
	bTCP
	bTURN
	bNegNone
	bNegEmpty
	bFirstNegFailed
	bBigCounter
	bSoftConf
	bSoftSession
	bSoftIssue
	bDisplayMedia
	bGeoEmpty
	bGeoZero
	bDevicesDefault
	bJitsiP2P
	bLossy
	bHighRTT
	numBehaviours
	bNone = -1
)

// forcedCycle is how many positions of a day get forced duration/setup buckets (3 cycles of 12 / 11).
const forcedCycle = 36

const (
	tP2P = iota
	tLiveKit
	tJitsi
)

type force struct {
	behaviour   int
	durBucket   int
	setupBucket int
	topo        int
}

var durBuckets = [12][2]int{{20, 60}, {60, 180}, {180, 300}, {300, 600}, {600, 900}, {900, 1200}, {1200, 1500}, {1500, 1800}, {1800, 2400}, {2400, 3000}, {3000, 3600}, {3600, 7200}}
var durWeights = []float64{7, 12, 10, 15, 12, 10, 8, 6, 8, 5, 3, 4}
var setupBuckets = [11][2]int{{80, 250}, {250, 500}, {500, 750}, {750, 1000}, {1000, 1500}, {1500, 2000}, {2000, 2500}, {2500, 3000}, {3000, 4000}, {4000, 5000}, {5000, 15000}}

type gen struct {
	cfg     Config
	end     time.Time
	start   time.Time
	rawFrom time.Time
	orgs    []*org
	apps    []*app
	appW    []float64
	out     *batch
	w       jw
	scratch jw
	step    time.Duration // stats poll interval (app.interval)
	pcSeq   int32         // participant_conferences.id, assigned here so that it does not depend on load order
}

func newGen(cfg Config) *gen {
	g := &gen{cfg: cfg, end: cfg.End.UTC(), step: 10 * time.Second}
	g.start = g.end.Add(-time.Duration(cfg.Days) * 24 * time.Hour)
	g.rawFrom = g.end.Add(-time.Duration(cfg.RawStatsDays) * 24 * time.Hour)
	if g.cfg.SummaryStep <= 0 {
		g.cfg.SummaryStep = 30 * time.Second
	}
	if g.cfg.SummaryMaxSnapshots <= 0 {
		g.cfg.SummaryMaxSnapshots = 60
	}
	g.setup()
	for _, a := range g.apps {
		g.appW = append(g.appW, a.weight)
	}
	return g
}

// run generates everything, handing over a batch every ~batchConfs conferences.
func (g *gen) run(emit func(*batch) error) error {
	g.out = &batch{}
	for _, o := range g.orgs {
		g.out.add(tabOrg, o.id, o.created, true, o.name)
	}
	for _, a := range g.apps {
		var dom any
		if a.domain != "" {
			dom = a.domain
		}
		g.out.add(tabApp, a.id, a.created, true, a.name, a.apiKey, dom, int32(10000), a.idx == 0, []byte(`{}`), a.org.id)
	}
	per := g.cfg.ConferencesPerDay
	nOngoing := max(2, per/150)
	done := 0
	for d := 0; d < g.cfg.Days; d++ {
		dayStart := g.start.Add(time.Duration(d) * 24 * time.Hour)
		dr := rand.New(rand.NewPCG(uint64(g.cfg.Seed), 0xda7<<32|uint64(d)))
		times := dayTimes(dr, dayStart, per)
		last := d == g.cfg.Days-1
		for j := 0; j < per; j++ {
			f := force{behaviour: bNone, durBucket: -1, setupBucket: -1, topo: -1}
			ongoing := last && j >= per-nOngoing
			limit := per
			if last {
				limit = per - nOngoing
			}
			if j < limit {
				if j < numBehaviours {
					f.behaviour = j
					f.topo = j % 3
				}
				if j < forcedCycle {
					f.durBucket = j % 12
					f.setupBucket = j % 11
				}
			}
			t0 := times[j]
			if ongoing {
				t0 = g.end.Add(-58*time.Minute + time.Duration(dr.Int64N(int64(55*time.Minute/time.Millisecond)))*time.Millisecond)
			}
			r := rand.New(rand.NewPCG(uint64(g.cfg.Seed)^0x9e3779b97f4a7c15, uint64(d)<<24|uint64(j)))
			g.conference(r, d*per+j, t0, f, ongoing)
			done++
			if done%200 == 0 || g.out.size() > 60000 {
				g.out.confsDone = done
				if err := emit(g.out); err != nil {
					return err
				}
				g.out = &batch{}
			}
		}
	}
	g.out.confsDone = done
	return emit(g.out)
}

// ---- the conference model ----

type conf struct {
	id       uuid
	app      *app
	topo     int
	t0, tEnd time.Time // tEnd = End for ongoing
	ongoing  bool
	active   bool
	raw      bool
	f        force
	sessions []*sess
	users    []*user
	snaps    []snap
}

type sess struct {
	id        uuid
	u         *user
	start     time.Time
	end       time.Time
	open      bool
	active    bool
	sendA     bool
	sendV     bool
	gumFail   bool // every getUserMedia request failed
	gumErrs   int
	conns     []*conn
	aTrack    *track
	vTrack    *track
	callStart time.Time
	rejoin    bool
	legacySDK bool
}

type track struct {
	id    uuid
	tid   string
	kind  byte // 'a' / 'v'
	label string
}

const (
	ckP2P = iota
	ckLKPub
	ckLKSub
	ckJVB
	ckJP2P
)

type quality struct {
	loss, jitter, rtt float64 // fraction, s, s
	class             int     // 0 good, 1 lossy, 2 very lossy, 3 high rtt
}

type conn struct {
	id          uuid
	s           *sess
	peer        *user
	kind        int
	start, end  time.Time
	open        bool
	failed      bool
	setupMs     int
	negMode     int // 0 normal, 1 no key, 2 empty list, 3 first failed
	ctype       byte
	proto       string
	relayProto  string
	disconnAt   time.Duration // offset from connected; 0 = none
	reconnect   bool
	reset       bool
	iceErr      bool
	big         bool
	q           quality
	final       string
	out, in     []*stream
	connectedAt time.Time
	localAddr   string
	remoteAddr  string
	localPort   int
	remotePort  int
	remoteType  string
	pairType    string
}

func (g *gen) pickDuration(r *rand.Rand, b int) int {
	if b < 0 {
		b = weightedIndex(r, durWeights)
	}
	lo, hi := durBuckets[b][0], durBuckets[b][1]
	return lo + r.IntN(hi-lo)
}

func (g *gen) conference(r *rand.Rand, seq int, t0 time.Time, f force, ongoing bool) {
	c := &conf{id: newUUID(r), t0: t0, ongoing: ongoing, f: f, active: true}
	c.app = g.apps[weightedIndex(r, g.appW)]
	c.topo = f.topo
	if f.behaviour == bJitsiP2P {
		c.topo = tJitsi
	}
	if f.behaviour == bNoConnection {
		c.topo = tP2P
	}
	if c.topo < 0 {
		c.topo = weightedIndex(r, c.app.topoW[:])
	}
	var dur int
	if ongoing {
		dur = int(g.end.Sub(t0) / time.Second)
		c.tEnd = g.end
	} else {
		dur = g.pickDuration(r, f.durBucket)
		if t0.Add(time.Duration(dur+45) * time.Second).After(g.end) {
			c.t0 = g.end.Add(-time.Duration(dur+60+r.IntN(1800)) * time.Second)
		}
		c.tEnd = c.t0.Add(time.Duration(dur) * time.Second)
	}
	if f.behaviour == bSoftConf || (f.behaviour == bNone && r.Float64() < 0.01) {
		c.active = false
	}
	c.raw = ongoing || !c.t0.Before(g.rawFrom)

	// participants
	n := 2
	switch c.topo {
	case tP2P:
		if r.Float64() < 0.03 || f.behaviour == bNoConnection {
			n = 1
		}
	case tLiveKit:
		n = 2 + int(math.Min(10, r.ExpFloat64()*2.2))
	case tJitsi:
		n = 2 + int(math.Min(6, r.ExpFloat64()*1.5))
		if f.behaviour == bJitsiP2P {
			n = 2
		}
	}
	n = min(n, len(c.app.users))
	for len(c.users) < n {
		u := c.app.users[r.IntN(len(c.app.users))]
		dup := false
		for _, x := range c.users {
			dup = dup || x == u
		}
		if !dup {
			c.users = append(c.users, u)
		}
	}

	// sessions
	D := c.tEnd.Sub(c.t0)
	for i, u := range c.users {
		var s0, s1 time.Duration
		if i == 0 {
			s0, s1 = 0, D
		} else {
			s0 = time.Duration(r.Int64N(int64(min(D/6, 120*time.Second)) + 1))
			s1 = D - time.Duration(r.Int64N(int64(min(D/10, 60*time.Second))+1))
			if r.Float64() < 0.1 || (ongoing && r.Float64() < 0.3) {
				s1 = s0 + time.Duration(float64(D-s0)*(0.3+0.6*r.Float64()))
			}
			if s1-s0 < 5*time.Second {
				s1 = min(D, s0+5*time.Second)
			}
		}
		rejoin := (i == 0 && f.behaviour == bRejoin) || (f.behaviour == bNone && D > 90*time.Second && r.Float64() < 0.04)
		spans := [][2]time.Duration{{s0, s1}}
		if rejoin && s1-s0 > 15*time.Second {
			m := s0 + time.Duration(float64(s1-s0)*(0.2+0.5*r.Float64()))
			gap := time.Duration(2+r.IntN(int(min(30, (s1-m)/time.Second/3)+1))) * time.Second
			spans = [][2]time.Duration{{s0, m}, {m + gap, s1}}
			if r.Float64() < 0.25 && s1-(m+gap) > 20*time.Second {
				m2 := m + gap + (s1-m-gap)/2
				spans = [][2]time.Duration{{s0, m}, {m + gap, m2}, {m2 + 3*time.Second, s1}}
			}
		}
		for k, sp := range spans {
			s := &sess{id: newUUID(r), u: u, start: c.t0.Add(sp[0]), end: c.t0.Add(sp[1]), active: c.active, rejoin: k > 0}
			s.open = ongoing && sp[1] == D
			if c.active && ((i == 0 && k == 0 && f.behaviour == bSoftSession) || (f.behaviour == bNone && r.Float64() < 0.007)) {
				s.active = false
			}
			s.legacySDK = r.Float64() < 0.05
			c.sessions = append(c.sessions, s)
		}
	}
	for _, s := range c.sessions {
		g.media(r, c, s)
	}
	g.connections(r, c)
	g.emitConference(r, c, seq)
}

// media decides what a session sends (getUserMedia outcome).
func (g *gen) media(r *rand.Rand, c *conf, s *sess) {
	first := s == c.sessions[0]
	b := bNone
	if first {
		b = c.f.behaviour
	}
	s.sendA = true
	s.sendV = r.Float64() < 0.85
	switch {
	case b == bNoMediaAccess || (b == bNone && r.Float64() < 0.01):
		s.gumFail, s.sendA, s.sendV = true, false, false
		s.gumErrs = 1 + r.IntN(2)
	case b >= bGumObj && b <= bGumJSONNull, b == bSoftIssue, b == bNone && r.Float64() < 0.03:
		s.gumErrs = 1
		s.sendV = false // retried audio-only
	}
}

func (g *gen) connections(r *rand.Rand, c *conf) {
	switch c.topo {
	case tP2P:
		for i := 0; i < len(c.sessions); i++ {
			for j := i + 1; j < len(c.sessions); j++ {
				a, b := c.sessions[i], c.sessions[j]
				if a.u == b.u {
					continue
				}
				st, en := maxT(a.start, b.start), minT(a.end, b.end)
				if en.Sub(st) < 2*time.Second {
					continue
				}
				ca := g.newConn(r, c, a, b.u, ckP2P, st, en, a.open && b.open)
				cb := g.newConn(r, c, b, a.u, ckP2P, st, en, a.open && b.open)
				// both ends of one peer connection agree on failure and on the path
				cb.failed, cb.setupMs, cb.disconnAt, cb.reconnect, cb.reset = ca.failed, ca.setupMs+r.IntN(40), ca.disconnAt, ca.reconnect, ca.reset
				switch {
				case cb.failed:
					cb.final = "failed"
					cb.ctype = 0
				case cb.final == "failed" && cb.open:
					cb.final = "connected"
				case cb.final == "failed":
					cb.final = "closed"
				}
				cb.q = ca.q
				cb.q.jitter *= 0.8 + 0.4*r.Float64()
			}
		}
	case tLiveKit:
		for _, s := range c.sessions {
			g.newConn(r, c, s, c.app.sfu[sfuLKOut], ckLKPub, s.start, s.end, s.open)
			g.newConn(r, c, s, c.app.sfu[sfuLKIn], ckLKSub, s.start, s.end, s.open)
		}
	case tJitsi:
		for i, s := range c.sessions {
			g.newConn(r, c, s, c.app.sfu[sfuJVB], ckJVB, s.start, s.end, s.open)
			if len(c.users) == 2 && ((c.f.behaviour == bJitsiP2P && i == 0) || r.Float64() < 0.6) {
				g.newConn(r, c, s, c.app.sfu[sfuJP2P], ckJP2P, s.start.Add(time.Duration(1+r.IntN(4))*time.Second), s.end, s.open)
			}
		}
	}
	// streams
	for _, s := range c.sessions {
		for _, cn := range s.conns {
			if cn.failed {
				continue
			}
			if cn.kind != ckLKSub {
				if s.sendA {
					cn.out = append(cn.out, newStream(r, 'a', true, s.u.mobile))
				}
				if s.sendV {
					cn.out = append(cn.out, newStream(r, 'v', true, s.u.mobile))
				}
			}
			if cn.kind == ckLKPub {
				continue
			}
			// inbound: one stream per media the other participants send (capped at 6 per kind)
			na, nv := 0, 0
			var seen []*user
			for _, o := range c.sessions {
				if o.u == s.u || containsUser(seen, o.u) {
					continue
				}
				if (cn.kind == ckP2P) && o.u != cn.peer {
					continue
				}
				seen = append(seen, o.u)
				if o.sendA && na < 6 {
					cn.in = append(cn.in, newStream(r, 'a', false, s.u.mobile))
					na++
				}
				if o.sendV && nv < 6 {
					cn.in = append(cn.in, newStream(r, 'v', false, s.u.mobile))
					nv++
				}
			}
		}
	}
}

func containsUser(l []*user, u *user) bool {
	for _, x := range l {
		if x == u {
			return true
		}
	}
	return false
}

func maxT(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

func minT(a, b time.Time) time.Time {
	if a.Before(b) {
		return a
	}
	return b
}

func (g *gen) newConn(r *rand.Rand, c *conf, s *sess, peer *user, kind int, st, en time.Time, open bool) *conn {
	cn := &conn{id: newUUID(r), s: s, peer: peer, kind: kind, start: st, end: en, open: open, final: "closed"}
	firstOfSession := len(s.conns) == 0
	s.conns = append(s.conns, cn)
	b := bNone
	if s == c.sessions[0] && firstOfSession {
		b = c.f.behaviour
	}
	random := b == bNone
	// setup time
	if c.f.setupBucket >= 0 && firstOfSession {
		sb := setupBuckets[c.f.setupBucket]
		cn.setupMs = sb[0] + r.IntN(sb[1]-sb[0])
	} else {
		cn.setupMs = int(math.Min(14000, math.Exp(6.3+0.75*r.NormFloat64()))) + 60
	}
	if c.f.behaviour == bNoConnection && s == c.sessions[0] {
		b = bIceFailed
	}
	cn.failed = b == bIceFailed || (random && r.Float64() < 0.02)
	switch {
	case b == bNegNone || (random && r.Float64() < 0.02):
		cn.negMode = 1
	case b == bNegEmpty || (random && r.Float64() < 0.015):
		cn.negMode = 2
	case b == bFirstNegFailed || (random && r.Float64() < 0.03):
		cn.negMode = 3
	}
	// candidate types
	switch x := r.Float64(); {
	case b == bTURN || (random && x < 0.12):
		cn.ctype = 'r'
	case x < 0.45:
		cn.ctype = 'h'
	case x < 0.92:
		cn.ctype = 's'
	default:
		cn.ctype = 'p'
	}
	cn.proto = "udp"
	if b == bTCP || (random && r.Float64() < 0.025) {
		cn.proto = "tcp"
		if cn.ctype == 'p' {
			cn.ctype = 'h'
		}
	}
	cn.relayProto = "udp"
	if cn.ctype == 'r' && r.Float64() < 0.3 {
		cn.relayProto = "tls"
	}
	cn.remoteType = []string{"host", "srflx", "relay"}[r.IntN(3)]
	if kind != ckP2P {
		cn.remoteType = "host"
	}
	cn.localAddr = fmt.Sprintf("%d.%d.%d.%d", 10+r.IntN(200), r.IntN(256), r.IntN(256), 1+r.IntN(254))
	cn.remoteAddr = fmt.Sprintf("%d.%d.%d.%d", 20+r.IntN(200), r.IntN(256), r.IntN(256), 1+r.IntN(254))
	cn.localPort, cn.remotePort = 1024+r.IntN(64000), 1024+r.IntN(64000)
	if cn.ctype == 'h' {
		cn.localAddr = fmt.Sprintf("192.168.%d.%d", r.IntN(10), 2+r.IntN(250))
	}
	cn.pairType = candName(cn.ctype)
	if b == bTypeNull || (random && r.Float64() < 0.02) {
		cn.ctype = 0
	}
	// quality
	cn.q = quality{loss: 0.001 + 0.006*r.Float64(), jitter: 0.003 + 0.012*r.Float64(), rtt: 0.02 + 0.12*r.Float64()}
	if cn.ctype == 'r' {
		cn.q.rtt += 0.03
	}
	switch x := r.Float64(); {
	case b == bVeryLowEmos || (random && x < 0.015):
		cn.q = quality{loss: 0.18 + 0.15*r.Float64(), jitter: 0.06 + 0.05*r.Float64(), rtt: 0.35 + 0.4*r.Float64(), class: 2}
	case b == bLowEmos || b == bLossy || (random && x < 0.06):
		cn.q = quality{loss: 0.05 + 0.08*r.Float64(), jitter: 0.03 + 0.03*r.Float64(), rtt: 0.12 + 0.15*r.Float64(), class: 1}
	case b == bHighRTT || (random && x < 0.09):
		cn.q = quality{loss: 0.005 + 0.01*r.Float64(), jitter: 0.015 + 0.02*r.Float64(), rtt: 0.45 + 0.5*r.Float64(), class: 3}
	}
	span := en.Sub(st)
	if b == bDisconnectReset || (random && r.Float64() < 0.04 && span > 60*time.Second) {
		cn.disconnAt = time.Duration(float64(span) * (0.3 + 0.3*r.Float64()))
		cn.reconnect = b == bDisconnectReset || r.Float64() < 0.7
		cn.reset = cn.reconnect && (b == bDisconnectReset || r.Float64() < 0.6)
		if !cn.reconnect {
			cn.final = "disconnected"
		}
	}
	cn.iceErr = b == bIceCandErr || (random && r.Float64() < 0.03)
	cn.big = b == bBigCounter || (random && r.Float64() < 0.002)
	if cn.failed {
		cn.final = "failed"
		cn.ctype = 0
	}
	if open {
		cn.final = "connected"
		if cn.failed {
			cn.final = "failed"
		}
	}
	return cn
}

// snap is one summary snapshot before sorting.
type snap struct {
	t   time.Time
	seq int
	doc []byte
}

func sortSnaps(s []snap) {
	sort.Slice(s, func(i, j int) bool {
		if !s[i].t.Equal(s[j].t) {
			return s[i].t.Before(s[j].t)
		}
		return s[i].seq < s[j].seq
	})
}
