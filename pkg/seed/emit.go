package seed

import (
	"encoding/hex"
	"fmt"
	"math"
	"math/rand/v2"
	"time"
)

func candName(t byte) string {
	switch t {
	case 'h':
		return "host"
	case 's':
		return "srflx"
	case 'p':
		return "prflx"
	case 'r':
		return "relay"
	}
	return "srflx"
}

func secs(d time.Duration) int32 { return int32(max(0, d/time.Second)) }

func tsMillis(t time.Time) float64 { return float64(t.UnixMicro()) / 1000 }

// ev adds an app_genericevent row.
func (g *gen) ev(r *rand.Rand, c *conf, s *sess, active bool, at time.Time, typ, cat string, data []byte, peer *user, cn *conn, tr *track) {
	var peerID, connID, trackID any
	if peer != nil {
		peerID = peer.id
	}
	if cn != nil {
		connID = cn.id
	}
	if tr != nil {
		trackID = tr.id
	}
	var d any
	if data != nil {
		d = data
	}
	g.out.add(tabEvent, newUUID(r), at, active, typ, cat, d, c.app.id, c.id, s.u.id, s.id, peerID, connID, trackID)
}

// issue adds an app_issue row. data nil = SQL NULL.
func (g *gen) issue(r *rand.Rand, c *conf, s *sess, at time.Time, typ, code string, data []byte, withConf bool, cn *conn) {
	active := s.active && !(r.Float64() < 0.01)
	if c.f.behaviour == bSoftIssue && s == c.sessions[0] && code == "getusermedia_error" {
		active = false
	}
	var confID, connID, d any
	if withConf {
		confID = c.id
	}
	if cn != nil {
		connID = cn.id
	}
	if data != nil {
		d = data
	}
	g.out.add(tabIssue, newUUID(r), at, active, typ, code, d, s.id, confID, s.u.id, connID, nil)
}

func (g *gen) participant(u *user, a *app, at time.Time) {
	if u.created {
		return
	}
	u.created = true
	g.out.add(tabParticipant, u.id, at, true, u.pid, u.name, u.sfu, a.id)
}

func (g *gen) emitConference(r *rand.Rand, c *conf, seq int) {
	w := &g.w
	// participants (rows written at first use)
	for _, s := range c.sessions {
		g.participant(s.u, c.app, s.start)
		for _, cn := range s.conns {
			g.participant(cn.peer, c.app, cn.start)
		}
	}
	// connection timings
	var callStart time.Time
	for _, s := range c.sessions {
		for _, cn := range s.conns {
			if cn.failed {
				continue
			}
			cn.connectedAt = cn.start.Add(time.Duration(cn.setupMs) * time.Millisecond)
			if !cn.connectedAt.Before(cn.end) {
				cn.connectedAt = cn.start.Add(cn.end.Sub(cn.start) / 2)
			}
			if cn.disconnAt > 0 {
				if cn.connectedAt.Add(cn.disconnAt + 20*time.Second).After(cn.end) {
					cn.disconnAt = 0
					cn.reconnect, cn.reset = false, false
					if !cn.open {
						cn.final = "closed"
					}
				} else if !cn.reconnect {
					cn.end = cn.connectedAt.Add(cn.disconnAt + 15*time.Second)
					cn.open = false
					cn.final = "disconnected"
				}
			}
			if s.callStart.IsZero() || cn.connectedAt.Before(s.callStart) {
				s.callStart = cn.connectedAt
			}
		}
		if !s.callStart.IsZero() && (callStart.IsZero() || s.callStart.Before(callStart)) {
			callStart = s.callStart
		}
	}
	// conference
	name := any(nil)
	if r.Float64() < 0.8 {
		name = confNames[r.IntN(len(confNames))]
	}
	confID := fmt.Sprintf("%s-%s-%x", roomWords[seq%len(roomWords)], roomWords[(seq/len(roomWords))%len(roomWords)], seq)
	var endTime, cs any
	dur := int32(0)
	if !c.ongoing {
		endTime = c.tEnd
		dur = secs(c.tEnd.Sub(c.t0))
	}
	if !callStart.IsZero() {
		cs = callStart
	}
	g.out.add(tabConference, c.id, c.t0, c.active, confID, name, []byte(`{}`), c.t0, cs, endTime, c.ongoing, dur, c.app.id)
	var pcs []*user
	for _, s := range c.sessions {
		if !containsUser(pcs, s.u) {
			pcs = append(pcs, s.u)
		}
		for _, cn := range s.conns {
			if !containsUser(pcs, cn.peer) {
				pcs = append(pcs, cn.peer)
			}
		}
	}
	for _, u := range pcs {
		g.pcSeq++
		g.out.add(tabPartConf, g.pcSeq, u.id, c.id)
	}

	day := float64(c.t0.Sub(g.start)) / float64(g.end.Sub(g.start))
	var sdk any
	switch c.topo {
	case tLiveKit:
		sdk = "livekit"
	case tJitsi:
		sdk = "jitsi"
	}
	snapSeq := 0
	for si, s := range c.sessions {
		first := si == 0
		u := s.u
		// session row
		w.open()
		w.bool("audio", true)
		if s.sendV || !s.gumFail {
			w.obj("video")
			w.obj("width")
			w.int("ideal", 1280)
			w.close()
			w.obj("height")
			w.int("ideal", 720)
			w.close()
			w.close()
		} else {
			w.bool("video", false)
		}
		w.close()
		constraints := w.bytes()
		devs := g.devicesJSON(r, u)
		geo := g.geoJSON(u)
		if first && c.f.behaviour == bDevicesDefault {
			devs = []byte(`{}`)
		}
		if first && c.f.behaviour == bGeoEmpty {
			geo = []byte(`{}`)
		}
		if first && c.f.behaviour == bGeoZero {
			geo = []byte(`{"country_code":"","region_code":"","city":"","latitude":0,"longitude":0}`)
		}
		var ver any
		if r.Float64() > 0.04 {
			vi := int(day*float64(len(c.app.versions))+r.Float64()*1.5) - 1
			vi = max(0, min(len(c.app.versions)-1, vi))
			ver = c.app.versions[vi]
		}
		sdkVer := "2.8.1"
		if s.legacySDK {
			sdkVer = "2.3.4"
		}
		var send, scs any
		sdur := int32(0)
		if !s.open {
			send = s.end
			sdur = secs(s.end.Sub(s.start))
		}
		if !s.callStart.IsZero() {
			scs = s.callStart
		}
		g.out.add(tabSession, s.id, s.start, s.active, constraints, devs, g.platformJSON(u), g.metaJSON(u), geo,
			[]byte(`{"sdkVersion":"`+sdkVer+`"}`), ver, sdk, sdur, send, scs, c.id, u.id)

		if s.rejoin {
			g.issue(r, c, s, s.start.Add(300*time.Millisecond), "w", "multiple_rejoins", nil, true, nil)
		}
		g.gum(r, c, s, first)
		// browser events
		if r.Float64() < 0.2 {
			t := s.start.Add(time.Duration(float64(s.end.Sub(s.start)) * r.Float64()))
			g.ev(r, c, s, s.active, t, "visibilitychange", "B", []byte(`{"visibilityState":"hidden"}`), nil, nil, nil)
			g.ev(r, c, s, s.active, minT(s.end, t.Add(time.Duration(5+r.IntN(60))*time.Second)), "visibilitychange", "B", []byte(`{"visibilityState":"visible"}`), nil, nil, nil)
		}
		if c.topo == tJitsi {
			for _, o := range c.sessions {
				if o.u == u {
					continue
				}
				if o.start.After(s.start) && o.start.Before(s.end) {
					g.ev(r, c, s, s.active, o.start.Add(800*time.Millisecond), "jitsiUserJoined", "B", []byte(`{"id":"`+o.u.pid+`","displayName":"`+o.u.name+`"}`), nil, nil, nil)
				}
				if o.end.After(s.start) && o.end.Before(s.end) {
					g.ev(r, c, s, s.active, o.end.Add(500*time.Millisecond), "jitsiUserLeft", "B", []byte(`{"id":"`+o.u.pid+`"}`), nil, nil, nil)
				}
			}
		}
		// connections
		anyConnected := false
		for _, cn := range s.conns {
			g.connection(r, c, s, cn)
			anyConnected = anyConnected || !cn.failed
		}
		// the local (getUserMedia) tracks, linked to the first connection that sends them
		for _, tr := range []*track{s.aTrack, s.vTrack} {
			if tr == nil {
				continue
			}
			var tc any
			for _, cn := range s.conns {
				if !cn.failed && len(cn.out) > 0 {
					tc = cn.id
					break
				}
			}
			g.out.add(tabTrack, tr.id, s.start.Add(time.Second), s.active, string(tr.kind), "o", tr.tid, tr.label, []byte(`{"enabled":true,"muted":false,"readyState":"live"}`), s.id, tc)
		}
		// stats
		for ci, cn := range s.conns {
			if !cn.failed {
				g.stats(r, c, s, cn, ci, &snapSeq)
			}
		}
		if !s.open {
			if r.Float64() < 0.7 {
				g.ev(r, c, s, s.active, s.end, "beforeunload", "B", []byte(`{}`), nil, nil, nil)
			}
			if !anyConnected {
				g.issue(r, c, s, s.end, "e", "no_connection", nil, true, nil)
			}
			if s.gumFail {
				g.issue(r, c, s, s.end, "e", "no_media_access", nil, true, nil)
			}
			// eMOS after the call, from the worst inbound-audio connection
			worst := -1
			for _, cn := range s.conns {
				if cn.failed || cn.kind == ckLKPub {
					continue
				}
				hasA := false
				for _, st := range cn.in {
					hasA = hasA || st.kind == 'a'
				}
				if hasA && cn.q.class > worst && cn.q.class != 3 {
					worst = cn.q.class
				}
				if hasA && cn.q.class == 3 && worst < 1 && cn.q.rtt > 0.8 {
					worst = 1
				}
			}
			switch worst {
			case 2:
				g.issue(r, c, s, s.end.Add(2*time.Second), "e", "very_low_emos", []byte(fmt.Sprintf(`{"average":%.2f}`, 1.6+1.3*r.Float64())), true, nil)
			case 1:
				g.issue(r, c, s, s.end.Add(2*time.Second), "w", "low_emos", []byte(fmt.Sprintf(`{"average":%.2f}`, 3.0+0.95*r.Float64())), true, nil)
			}
		}
	}
	// summary
	if g.cfg.Summaries && !c.ongoing {
		at := c.tEnd.Add(time.Duration(20+r.IntN(70)) * time.Second)
		if at.Before(g.end) {
			sortSnaps(c.snaps)
			buf := make([]byte, 0, 64+len(c.snaps)*700)
			buf = append(buf, '[')
			for i, sn := range c.snaps {
				if i > 0 {
					buf = append(buf, ',')
				}
				buf = append(buf, sn.doc...)
			}
			buf = append(buf, ']')
			status := "d"
			if r.Float64() < 0.003 {
				status = "e"
			}
			g.out.add(tabSummary, newUUID(r), at, c.active, status, int32(2), c.tEnd, buf, c.id)
		}
	}
}

var confNames = []string{"Daily standup", "Sprint planning", "1:1", "Customer demo", "Support call", "Office hours", "Interview", "All hands", "Tutoring session", "Design review", "Consultation"}
var roomWords = []string{"amber", "brisk", "cedar", "delta", "ember", "fjord", "gale", "harbor", "iris", "jade", "koala", "lumen", "maple", "nova", "opal", "pine", "quartz", "river", "sable", "tide", "umber", "vale", "willow", "xenon", "yarrow", "zephyr"}

var gumErrors = [][2]string{
	{"NotAllowedError", "Permission denied"},
	{"NotFoundError", "Requested device not found"},
	{"NotReadableError", "Could not start video source"},
	{"OverconstrainedError", "Constraints could not be satisfied"},
	{"AbortError", "Timeout starting video source"},
}

// gum writes the getUserMedia (and getDisplayMedia) events, the local tracks and the gUM issues.
func (g *gen) gum(r *rand.Rand, c *conf, s *sess, first bool) {
	w := &g.w
	t := s.start.Add(200 * time.Millisecond)
	req := []byte(`{"constraints":{"audio":true,"video":{"width":{"ideal":1280},"height":{"ideal":720}}}}`)
	for k := 0; k < s.gumErrs; k++ {
		g.ev(r, c, s, s.active, t, "getUserMedia", "M", req, nil, nil, nil)
		e := gumErrors[weightedIndex(r, []float64{5, 2, 2, 1, 1})]
		t = t.Add(time.Duration(300+r.IntN(3000)) * time.Millisecond)
		w.open()
		w.raw("constraints", req[15:len(req)-1])
		w.obj("error")
		w.str("name", e[0])
		w.str("message", e[1])
		w.close()
		w.close()
		g.ev(r, c, s, s.active, t, "getUserMedia", "M", w.bytes(), nil, nil, nil)
		// the issue's data: {name,message}, or a legacy shape from older SDKs
		shape := 0
		if first {
			switch c.f.behaviour {
			case bGumString:
				shape = 1
			case bGumList:
				shape = 2
			case bGumSQLNull:
				shape = 3
			case bGumJSONNull:
				shape = 4
			}
		}
		if shape == 0 && c.f.behaviour == bNone && r.Float64() < 0.12 {
			shape = 1 + r.IntN(4)
		}
		var data []byte
		switch shape {
		case 0:
			data = []byte(`{"name":"` + e[0] + `","message":"` + e[1] + `"}`)
		case 1:
			data = []byte(`"` + e[0] + `: ` + e[1] + `"`)
		case 2:
			data = []byte(`["` + e[0] + `","` + e[1] + `"]`)
		case 3:
			data = nil
		case 4:
			data = []byte(`null`)
		}
		g.issue(r, c, s, t, "w", "getusermedia_error", data, true, nil)
		t = t.Add(time.Duration(500+r.IntN(2000)) * time.Millisecond)
		req = []byte(`{"constraints":{"audio":true,"video":false}}`)
	}
	if !s.gumFail {
		g.ev(r, c, s, s.active, t, "getUserMedia", "M", req, nil, nil, nil)
		t = t.Add(time.Duration(100+r.IntN(900)) * time.Millisecond)
		w.open()
		for _, k := range []byte{'a', 'v'} {
			if (k == 'a' && !s.sendA) || (k == 'v' && !s.sendV) {
				continue
			}
			tr := &track{id: newUUID(r), kind: k, tid: newUUID(r).String()}
			if k == 'a' {
				tr.label = micLabels[r.IntN(len(micLabels))]
				s.aTrack = tr
				w.list("audio")
			} else {
				tr.label = camLabels[r.IntN(len(camLabels))]
				s.vTrack = tr
				w.list("video")
			}
			w.open()
			w.str("id", tr.tid)
			w.str("kind", map[byte]string{'a': "audio", 'v': "video"}[k])
			w.str("label", tr.label)
			w.bool("enabled", true)
			w.bool("muted", false)
			w.str("readyState", "live")
			w.close()
			w.end()
		}
		w.close()
		g.ev(r, c, s, s.active, t, "getUserMedia", "M", w.bytes(), nil, nil, nil)
	}
	// screen share
	if (first && c.f.behaviour == bDisplayMedia) || (c.f.behaviour == bNone && !s.u.mobile && r.Float64() < 0.05) {
		t2 := s.start.Add(s.end.Sub(s.start) / 3)
		g.ev(r, c, s, s.active, t2, "getDisplayMedia", "M", []byte(`{"request":{"video":{"cursor":"always"},"audio":false}}`), nil, nil, nil)
		if r.Float64() < 0.2 {
			g.ev(r, c, s, s.active, t2.Add(2*time.Second), "getDisplayMedia", "M", []byte(`{"error":{"name":"NotAllowedError","message":"Permission denied by user"}}`), nil, nil, nil)
		} else {
			g.ev(r, c, s, s.active, t2.Add(2*time.Second), "getDisplayMedia", "M", []byte(`{"stream":{"id":"`+newUUID(r).String()+`","tracks":[{"kind":"video","label":"screen:0:0"}]}}`), nil, nil, nil)
		}
	}
}

var micLabels = []string{"Default - MacBook Pro Microphone (Built-in)", "Microphone Array (Realtek(R) Audio)", "Headset Microphone (Jabra Evolve2 65)", "iPhone Microphone", "Default"}
var camLabels = []string{"FaceTime HD Camera", "Integrated Webcam (0c45:6a10)", "Logitech BRIO (046d:085e)", "Front Camera", "camera2 1, facing front"}

// connection writes an app_connection row, its tracks, its connection events and issues.
func (g *gen) connection(r *rand.Rand, c *conf, s *sess, cn *conn) {
	w := &g.w
	active := s.active
	// connection_info
	w.open()
	w.bool("detected_tcp", cn.proto == "tcp")
	w.bool("detected_turn", cn.pairType == "relay" && !cn.failed)
	if cn.negMode != 1 {
		w.list("negotiations")
		if cn.negMode != 2 {
			t := cn.start
			if cn.negMode == 3 {
				fe := t.Add(time.Duration(3000+r.IntN(8000)) * time.Millisecond)
				w.open()
				w.time("start_time", t)
				w.time("end_time", fe)
				w.str("status", "failed")
				w.str("type", "initial")
				w.int("duration", fe.Sub(t).Milliseconds())
				w.close()
				t = fe
			}
			if cn.failed {
				fe := cn.start.Add(time.Duration(5000+r.IntN(10000)) * time.Millisecond)
				if cn.negMode != 3 {
					w.open()
					w.time("start_time", t)
					w.time("end_time", fe)
					w.str("status", "failed")
					w.str("type", "initial")
					w.int("duration", fe.Sub(t).Milliseconds())
					w.close()
				}
			} else {
				if cn.negMode == 3 {
					// the retry is what finally connects
					ct := cn.connectedAt
					if !ct.After(t) {
						ct = t.Add(400 * time.Millisecond)
					}
					w.open()
					w.time("start_time", t)
					w.time("end_time", ct)
					w.str("status", "connected")
					w.str("type", "renegotiation")
					w.int("duration", ct.Sub(t).Milliseconds())
					w.close()
				} else {
					w.open()
					w.time("start_time", t)
					w.time("end_time", cn.connectedAt)
					w.str("status", "connected")
					w.str("type", "initial")
					w.int("duration", cn.connectedAt.Sub(t).Milliseconds())
					w.close()
				}
				if cn.reconnect {
					rt := cn.connectedAt.Add(cn.disconnAt + 4*time.Second)
					re := rt.Add(time.Duration(300+r.IntN(2500)) * time.Millisecond)
					w.open()
					w.time("start_time", rt)
					w.time("end_time", re)
					w.str("status", "connected")
					w.str("type", "renegotiation")
					w.int("duration", re.Sub(rt).Milliseconds())
					w.close()
				}
				if r.Float64() < 0.15 && cn.end.Sub(cn.connectedAt) > time.Minute {
					rt := cn.connectedAt.Add(time.Duration(r.Int64N(int64(cn.end.Sub(cn.connectedAt) / 2))))
					w.open()
					w.time("start_time", rt)
					connecting := r.Float64() < 0.3
					if connecting {
						w.null("end_time")
						w.str("status", "connecting")
					} else {
						w.time("end_time", rt.Add(180*time.Millisecond))
						w.str("status", "stable")
					}
					w.str("type", "renegotiation")
					if connecting { // still connecting: no duration yet
						w.null("duration")
					} else {
						w.int("duration", 180)
					}
					w.close()
				}
			}
		}
		w.end()
	}
	w.close()
	info := w.bytes()
	var typ, endT any
	if cn.ctype != 0 {
		typ = string(cn.ctype)
	}
	end := cn.end
	if cn.failed {
		end = cn.start.Add(time.Duration(5000+r.IntN(10000)) * time.Millisecond)
		if end.After(cn.end) {
			end = cn.end
		}
		cn.end = end
	}
	dur := int32(0)
	if !cn.open || cn.failed {
		endT = end
		dur = secs(end.Sub(cn.start))
	}
	g.out.add(tabConnection, cn.id, cn.start, active, typ, cn.final, info, cn.start, endT, dur, s.id, c.id, s.u.id, cn.peer.id)

	// tracks
	for _, st := range cn.out {
		if st.kind == 'a' {
			st.track = s.aTrack
		} else {
			st.track = s.vTrack
		}
	}
	for _, st := range cn.in {
		st.track = &track{id: newUUID(r), kind: st.kind, tid: newUUID(r).String()}
	}

	ev := func(at time.Time, typ string, data string) {
		g.ev(r, c, s, active, at, typ, "C", []byte(data), cn.peer, cn, nil)
	}
	t := cn.start
	ev(t, "onnegotiationneeded", `{}`)
	ev(t.Add(20*time.Millisecond), "onsignalingstatechange", `{"signalingState":"have-local-offer"}`)
	ev(t.Add(40*time.Millisecond), "onicegatheringstatechange", `{"iceGatheringState":"gathering"}`)
	ev(t.Add(60*time.Millisecond), "oniceconnectionstatechange", `{"iceConnectionState":"checking"}`)
	ev(t.Add(70*time.Millisecond), "onconnectionstatechange", `{"connectionState":"connecting"}`)
	if cn.iceErr {
		at := t.Add(time.Duration(100+r.IntN(3000)) * time.Millisecond)
		code := []int{701, 701, 701, 401, 600}[r.IntN(5)]
		text := map[int]string{701: "STUN host lookup received error.", 401: "Unauthorized", 600: "Address not associated with the desired network interface."}[code]
		payload := fmt.Sprintf(`{"address":"%s","port":%d,"url":"turn:turn%d.example.net:3478?transport=udp","errorCode":%d,"errorText":"%s"}`,
			cn.localAddr, cn.localPort, r.IntN(3), code, text)
		ev(at, "onicecandidateerror", payload)
		g.issue(r, c, s, at, "w", "icecandidateerror", []byte(payload), false, cn)
	}
	if cn.failed {
		ev(cn.end.Add(-100*time.Millisecond), "oniceconnectionstatechange", `{"iceConnectionState":"failed"}`)
		ev(cn.end, "onconnectionstatechange", `{"connectionState":"failed"}`)
		g.issue(r, c, s, cn.end.Add(-100*time.Millisecond), "e", "ice_failed", nil, true, cn)
		g.issue(r, c, s, cn.end, "e", "connection_failed", nil, true, cn)
		return
	}
	ca := cn.connectedAt
	ev(ca.Add(-30*time.Millisecond), "oniceconnectionstatechange", `{"iceConnectionState":"connected"}`)
	ev(ca.Add(-10*time.Millisecond), "onicegatheringstatechange", `{"iceGatheringState":"complete"}`)
	ev(ca.Add(-5*time.Millisecond), "onsignalingstatechange", `{"signalingState":"stable"}`)
	ev(ca, "onconnectionstatechange", `{"connectionState":"connected"}`)
	if cn.pairType == "relay" {
		g.issue(r, c, s, ca.Add(time.Second), "w", "turn_used", nil, false, cn)
	}
	if cn.proto == "tcp" {
		g.issue(r, c, s, ca.Add(time.Second), "w", "tcp_used", nil, true, cn)
	}
	if cn.disconnAt > 0 {
		dt := ca.Add(cn.disconnAt)
		ev(dt, "oniceconnectionstatechange", `{"iceConnectionState":"disconnected"}`)
		ev(dt.Add(20*time.Millisecond), "onconnectionstatechange", `{"connectionState":"disconnected"}`)
		g.issue(r, c, s, dt.Add(20*time.Millisecond), "w", "connection_disconnected", nil, true, cn)
		if cn.reconnect {
			rt := dt.Add(4 * time.Second)
			ev(rt, "onnegotiationneeded", `{"iceRestart":true}`)
			ev(rt.Add(2*time.Second), "oniceconnectionstatechange", `{"iceConnectionState":"connected"}`)
			ev(rt.Add(2*time.Second+10*time.Millisecond), "onconnectionstatechange", `{"connectionState":"connected"}`)
		}
	}
	// track rows and ontrack events
	for _, st := range cn.in {
		label := any(st.track.tid)
		if r.Float64() < 0.3 {
			label = nil
		}
		g.out.add(tabTrack, st.track.id, ca, active, string(st.kind), "i", st.track.tid, label, []byte(`{"enabled":true,"muted":false,"readyState":"live"}`), s.id, cn.id)
		g.ev(r, c, s, active, ca.Add(50*time.Millisecond), "ontrack", "T", []byte(`{"kind":"`+st.kindName()+`","id":"`+st.track.tid+`"}`), cn.peer, cn, st.track)
	}
	if !cn.open && cn.final == "closed" {
		ev(cn.end, "onconnectionstatechange", `{"connectionState":"closed"}`)
	}
}

// stats simulates the getStats polls of a connection: raw rows when the conference keeps them,
// snapshots for the summary when it gets one.
func (g *gen) stats(r *rand.Rand, c *conf, s *sess, cn *conn, ci int, snapSeq *int) {
	w := &g.w
	active := s.active
	stepS := g.step.Seconds()
	horizon := cn.end
	if cn.open {
		horizon = g.end
	}
	total := int((horizon.Sub(cn.connectedAt) - time.Nanosecond) / g.step) // polls strictly before the horizon
	if total < 1 {
		return
	}
	wantSnaps := g.cfg.Summaries && !c.ongoing
	stride := max(int(math.Ceil(float64(g.cfg.SummaryStep)/float64(g.step))), int(math.Ceil(float64(total)/float64(g.cfg.SummaryMaxSnapshots))))
	var off int64
	if cn.big {
		off = 1<<53 + r.Int64N(1<<40)
	}
	resetK := -1
	downFrom, downTo := -1, -1
	if cn.disconnAt > 0 {
		downFrom = int(cn.disconnAt / g.step)
		downTo = downFrom + 1
		if cn.reset {
			resetK = downTo
		}
	}
	var pair struct {
		sent, recv, packets, responses int64
		totalRTT                       float64
	}
	pairID := "CP" + hex.EncodeToString(cn.id[0:4]) + "_" + hex.EncodeToString(cn.id[4:8])
	legacy := s.legacySDK
	for k := 1; k <= total; k++ {
		t := cn.connectedAt.Add(time.Duration(k) * g.step)
		q := cn.q
		if k >= downFrom && k <= downTo {
			q.loss = math.Min(0.6, q.loss+0.3)
		}
		if k == resetK {
			for _, st := range cn.out {
				st.resetCounters()
			}
			for _, st := range cn.in {
				st.resetCounters()
			}
			pair.sent, pair.recv, pair.packets, pair.responses, pair.totalRTT = 0, 0, 0, 0, 0
		}
		var dSent, dRecv, dPk int64
		for _, st := range cn.out {
			b0, p0 := st.bytes+st.header, st.packets
			st.poll(r, stepS, q)
			dSent += st.bytes + st.header - b0
			dPk += st.packets - p0
		}
		for _, st := range cn.in {
			b0 := st.bytes + st.header
			st.poll(r, stepS, q)
			dRecv += st.bytes + st.header - b0
		}
		pair.sent += dSent + 200
		pair.recv += dRecv + 200
		pair.packets += dPk + 2
		resp := int64(2 + r.IntN(3))
		rtt := q.rtt * (0.9 + 0.2*r.Float64())
		pair.responses += resp
		pair.totalRTT += float64(resp) * rtt
		ts := tsMillis(t) + float64(r.IntN(40000))/1000

		raw := c.raw
		snapNow := wantSnaps && k%stride == 0
		if !raw && !snapNow {
			continue
		}
		for _, full := range []bool{true, false} {
			if (full && !raw) || (!full && !snapNow) {
				continue
			}
			if !full {
				// summary envelope
				w.open()
				w.uuid("id", newUUID(r))
				w.uuid("app", c.app.id)
				w.uuid("session", s.id)
				w.uuid("conference", c.id)
				w.uuid("participant", s.u.id)
				w.uuid("peer", cn.peer.id)
				w.uuid("connection", cn.id)
				w.time("created_at", t)
				w.str("type", "stats")
				w.key("data")
			}
			w.open()
			w.obj("connection")
			w.str("id", pairID)
			if full {
				w.str("state", "succeeded")
				w.bool("nominated", true)
			}
			w.int("bytesSent", pair.sent+off)
			if full {
				w.int("bytesReceived", pair.recv+off)
			}
			w.int("packetsSent", pair.packets)
			w.int("responsesReceived", pair.responses)
			w.num("totalRoundTripTime", pair.totalRTT, 3)
			if full {
				w.num("currentRoundTripTime", rtt, 4)
				w.num("availableOutgoingBitrate", 1.5e6+3e6*float64(cn.id[9])/255, 0)
				w.obj("local")
				w.str("candidateType", cn.pairType)
				w.str("protocol", cn.proto)
				w.str("address", cn.localAddr)
				w.int("port", int64(cn.localPort))
				if cn.pairType == "relay" {
					w.str("relayProtocol", cn.relayProto)
				}
				w.close()
				w.obj("remote")
				w.str("candidateType", cn.remoteType)
				w.str("protocol", cn.proto)
				w.str("address", cn.remoteAddr)
				w.int("port", int64(cn.remotePort))
				w.close()
			}
			w.close()
			w.obj("remote")
			for _, kind := range []byte{'a', 'v'} {
				if kind == 'a' {
					w.obj("audio")
				} else {
					w.obj("video")
				}
				w.list("inbound")
				for _, st := range cn.out {
					if st.kind == kind {
						st.writeRemote(w, ts, full)
					}
				}
				w.end()
				w.list("outbound")
				for _, st := range cn.in {
					if st.kind == kind {
						st.writeRemote(w, ts, full)
					}
				}
				w.end()
				w.close()
			}
			w.close()
			for _, kind := range []byte{'a', 'v'} {
				if kind == 'a' {
					w.obj("audio")
				} else {
					w.obj("video")
				}
				w.list("inbound")
				for _, st := range cn.in {
					if st.kind == kind {
						st.writeLocal(w, ts, full, legacy, off)
					}
				}
				w.end()
				w.list("outbound")
				for _, st := range cn.out {
					if st.kind == kind {
						st.writeLocal(w, ts, full, legacy, off)
					}
				}
				w.end()
				w.close()
			}
			w.close()
			if full {
				g.ev(r, c, s, active, t, "stats", "S", w.bytes(), cn.peer, cn, nil)
				// one row per outbound report carrying a media-source track
				for _, st := range cn.out {
					if st.track == nil {
						continue
					}
					w.open()
					w.obj("track")
					w.str("id", st.msID)
					w.str("type", "media-source")
					w.str("kind", st.kindName())
					w.str("trackIdentifier", st.track.tid)
					w.num("timestamp", ts, 3)
					if st.kind == 'a' {
						w.num("audioLevel", st.audioLevel, 4)
						w.num("totalAudioEnergy", st.audioEnergy, 5)
						w.num("totalSamplesDuration", st.samplesDur, 2)
					} else {
						w.int("width", int64(st.width))
						w.int("height", int64(st.height))
						w.int("frames", st.srcFrames)
						w.num("framesPerSecond", st.fps, 0)
					}
					w.close()
					w.obj("outbound")
					w.str("id", st.id)
					w.int("ssrc", int64(st.ssrc))
					w.str("kind", st.kindName())
					w.close()
					w.close()
					g.ev(r, c, s, active, t, "stats", "S", w.bytes(), cn.peer, cn, st.track)
				}
			} else {
				w.close()
				*snapSeq++
				c.snaps = append(c.snaps, snap{t: t, seq: *snapSeq, doc: w.bytes()})
			}
		}
	}
	_ = ci
}

func (g *gen) platformJSON(u *user) []byte {
	if u.platJSON != nil {
		return u.platJSON
	}
	if u.platform < 0 {
		u.platJSON = []byte(`{}`)
		return u.platJSON
	}
	p := platforms[u.platform]
	w := &g.scratch
	w.open()
	w.str("ua", p.ua)
	w.obj("browser")
	w.str("name", p.browser)
	w.str("version", p.bver)
	w.str("major", p.bver[:indexDot(p.bver)])
	w.close()
	w.obj("engine")
	w.str("name", p.engine)
	w.str("version", p.ever)
	w.close()
	w.obj("os")
	w.str("name", p.os)
	w.str("version", p.osver)
	w.close()
	w.obj("device")
	if p.vendor != "" {
		w.str("vendor", p.vendor)
		w.str("model", p.model)
	}
	if p.dtype != "" {
		w.str("type", p.dtype)
	}
	w.close()
	w.obj("cpu")
	if !p.mobile {
		w.str("architecture", "amd64")
	}
	w.close()
	w.close()
	u.platJSON = w.bytes()
	return u.platJSON
}

func indexDot(s string) int {
	for i := 0; i < len(s); i++ {
		if s[i] == '.' {
			return i
		}
	}
	return len(s)
}

func (g *gen) geoJSON(u *user) []byte {
	if u.geoJSON != nil {
		return u.geoJSON
	}
	switch u.geo {
	case -1:
		u.geoJSON = []byte(`{}`)
	case -2:
		u.geoJSON = []byte(`{"country_code":"","region_code":"","city":"","latitude":0,"longitude":0}`)
	default:
		ci := cities[u.geo]
		w := &g.scratch
		w.open()
		w.str("country_code", ci.cc)
		w.str("region_code", ci.region)
		w.str("city", ci.name)
		w.num("latitude", ci.lat, 4)
		w.num("longitude", ci.lon, 4)
		w.close()
		u.geoJSON = w.bytes()
	}
	return u.geoJSON
}

func (g *gen) devicesJSON(r *rand.Rand, u *user) []byte {
	if u.devJSON != nil {
		return u.devJSON
	}
	if u.noDevs {
		u.devJSON = []byte(`{}`)
		return u.devJSON
	}
	w := &g.scratch
	w.arr()
	grp := newUUID(r)
	for i, k := range []string{"audioinput", "videoinput", "audiooutput", "audioinput"} {
		if i == 3 && u.mobile {
			break
		}
		id := newUUID(r)
		w.open()
		w.str("deviceId", hex.EncodeToString(id[:]))
		w.str("kind", k)
		w.str("groupId", hex.EncodeToString(grp[:8]))
		switch k {
		case "audioinput":
			w.str("label", micLabels[(i+int(id[0]))%len(micLabels)])
		case "videoinput":
			w.str("label", camLabels[int(id[0])%len(camLabels)])
		default:
			w.str("label", "Default - Speakers")
		}
		w.close()
	}
	w.end()
	u.devJSON = w.bytes()
	return u.devJSON
}

func (g *gen) metaJSON(u *user) []byte {
	if u.metaJSON != nil {
		return u.metaJSON
	}
	switch u.metaKind {
	case 0:
		u.metaJSON = []byte(`{}`)
	case 1:
		u.metaJSON = []byte(`{"plan":"pro","team":"sales"}`)
	case 2:
		u.metaJSON = []byte(`{"plan":"free","beta":true,"seats":3}`)
	default:
		u.metaJSON = []byte(`{"tenant":"t-042","role":"host","recording":false,"seats":12,"region":"eu-west"}`)
	}
	return u.metaJSON
}
