package seed

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// stream is one RTP stream of a connection with its cumulative W3C counters.
type stream struct {
	kind     byte // 'a' or 'v'
	out      bool
	ssrc     uint32
	id       string
	msID     string // media-source id (outbound)
	track    *track // app_track row (outbound: the local track; inbound: the remote track)
	bitrate  float64
	pps      float64
	fps      float64
	width    int
	height   int
	payload  int64 // bytes per packet
	jbTarget float64

	packets, bytes, header, lost         int64
	frames, framesDecoded, framesDropped int64
	jbDelay                              float64
	jbEmitted                            int64
	concealed, fec                       int64
	decodeTime, encodeTime, freezeDur    float64
	freezes                              int64
	rlost, rpackets                      int64 // remote-inbound packetsLost / remote-outbound packetsSent
	jitter, rtt, fracLost                float64
	qlr                                  string
	first                                bool
	prevPackets                          int64
	audioEnergy, samplesDur, audioLevel  float64
	srcFrames                            int64
	ptsOffset                            int64
}

func newStream(r *rand.Rand, kind byte, out bool, mobile bool) *stream {
	s := &stream{kind: kind, out: out, ssrc: r.Uint32(), first: true}
	dir := "Inbound"
	if out {
		dir = "Outbound"
	}
	if kind == 'a' {
		s.id = fmt.Sprintf("RTC%sRTPAudioStream_%d", dir, s.ssrc)
		s.bitrate = 28000 + 20000*r.Float64()
		s.pps = 50
		s.msID = fmt.Sprintf("RTCAudioSource_%d", 1+r.IntN(3))
		s.jbTarget = 0.03 + 0.05*r.Float64()
	} else {
		s.id = fmt.Sprintf("RTC%sRTPVideoStream_%d", dir, s.ssrc)
		s.msID = fmt.Sprintf("RTCVideoSource_%d", 2+r.IntN(3))
		s.width, s.height, s.fps = 1280, 720, 30
		s.bitrate = 900000 + 1200000*r.Float64()
		switch x := r.Float64(); {
		case mobile || x < 0.25:
			s.width, s.height, s.fps, s.bitrate = 640, 360, 24, 300000+300000*r.Float64()
		case x < 0.35:
			s.width, s.height, s.fps, s.bitrate = 1920, 1080, 30, 2000000+1000000*r.Float64()
		}
		s.pps = s.bitrate / 8 / 1050
		s.jbTarget = 0.05 + 0.08*r.Float64()
	}
	s.payload = int64(s.bitrate / 8 / s.pps)
	s.qlr = "none"
	return s
}

// poll advances a stream by dt seconds under quality q.
func (s *stream) poll(r *rand.Rand, dt float64, q quality) {
	noise := func(x float64) float64 { return x * (0.9 + 0.2*r.Float64()) }
	s.first = s.prevPackets == 0 && s.packets == 0
	s.prevPackets = s.packets
	loss := math.Min(0.6, noise(q.loss))
	s.jitter = noise(q.jitter)
	s.rtt = noise(q.rtt)
	expected := int64(noise(s.pps * dt))
	lost := int64(float64(expected)*loss + r.Float64())
	if s.out {
		s.packets += expected
		s.bytes += expected * s.payload
		s.header += expected * 28
		s.rlost += lost
		s.fracLost = math.Round(loss*256) / 256
		if s.kind == 'v' {
			f := int64(s.fps * dt)
			s.frames += f
			s.encodeTime += float64(f) * (0.004 + 0.004*r.Float64())
			if q.class == 1 || q.class == 2 {
				s.qlr = "bandwidth"
			}
			s.srcFrames += f
		} else {
			s.audioLevel = 0.01 + 0.1*r.Float64()
			s.audioEnergy += dt * s.audioLevel * s.audioLevel
			s.samplesDur += dt
		}
		return
	}
	recv := expected - lost
	s.packets += recv
	s.lost += lost
	s.bytes += recv * s.payload
	s.header += recv * 28
	s.rpackets += expected
	if s.kind == 'a' {
		samples := int64(48000 * dt)
		s.jbEmitted += samples
		s.jbDelay += float64(samples) * (s.jbTarget + 2*s.jitter)
		s.concealed += lost * 960
		if loss > 0.02 {
			s.fec += int64(float64(lost) * 0.3)
		}
	} else {
		f := int64(s.fps * dt * (1 - loss))
		s.frames += f
		dropped := int64(float64(f) * loss * 0.3)
		s.framesDropped += dropped
		s.framesDecoded += f - dropped
		s.jbEmitted += f - dropped
		s.jbDelay += float64(f-dropped) * (s.jbTarget + 2*s.jitter)
		s.decodeTime += float64(f) * (0.002 + 0.003*r.Float64())
		if loss > 0.04 && r.Float64() < loss*4 {
			s.freezes++
			s.freezeDur += 0.5 + 2*r.Float64()
		}
	}
}

func (s *stream) resetCounters() {
	*s = stream{kind: s.kind, out: s.out, ssrc: s.ssrc, id: s.id, msID: s.msID, track: s.track, bitrate: s.bitrate,
		pps: s.pps, fps: s.fps, width: s.width, height: s.height, payload: s.payload, jbTarget: s.jbTarget, qlr: "none"}
}

func (s *stream) kindName() string {
	if s.kind == 'a' {
		return "audio"
	}
	return "video"
}

// writeLocal writes the inbound-rtp / outbound-rtp report; full=false keeps the counters (and the gauges
// quality needs) only, as in summary.data.
func (s *stream) writeLocal(w *jw, ts float64, full, legacy bool, off int64) {
	w.open()
	w.str("id", s.id)
	w.int("ssrc", int64(s.ssrc))
	if full {
		w.str("kind", s.kindName())
		if s.out {
			w.str("type", "outbound-rtp")
		} else {
			w.str("type", "inbound-rtp")
		}
	}
	w.num("timestamp", ts, 3)
	if s.out {
		w.int("packetsSent", s.packets)
		w.int("bytesSent", s.bytes+off)
		w.int("headerBytesSent", s.header)
		if s.kind == 'v' {
			w.int("framesSent", s.frames)
			w.int("framesEncoded", s.frames)
			if full {
				w.num("totalEncodeTime", s.encodeTime, 3)
				w.str("qualityLimitationReason", s.qlr)
				w.int("frameWidth", int64(s.width))
				w.int("frameHeight", int64(s.height))
				w.num("framesPerSecond", s.fps, 0)
			}
		}
		if full {
			w.str("mediaSourceId", s.msID)
		}
	} else {
		w.int("packetsReceived", s.packets)
		w.int("packetsLost", s.lost)
		w.num("jitter", s.jitter, 4)
		w.int("bytesReceived", s.bytes+off)
		w.int("headerBytesReceived", s.header)
		w.num("jitterBufferDelay", s.jbDelay, 3)
		w.int("jitterBufferEmittedCount", s.jbEmitted)
		if s.kind == 'a' {
			w.int("concealedSamples", s.concealed)
			w.int("fecPacketsReceived", s.fec)
		} else {
			w.int("framesReceived", s.frames)
			w.int("framesDecoded", s.framesDecoded)
			w.int("framesDropped", s.framesDropped)
			w.int("frameHeight", int64(s.height))
			w.num("framesPerSecond", s.fps, 0)
			w.int("freezeCount", s.freezes)
			w.num("totalFreezesDuration", s.freezeDur, 3)
			if full {
				w.int("frameWidth", int64(s.width))
				w.num("totalDecodeTime", s.decodeTime, 3)
			}
		}
	}
	if full && legacy {
		// older SDKs: client-computed rates, packetRate 8x too large and bitrate 0 on a new stream
		br := s.bitrate
		if s.first {
			br = 0
		}
		w.num("bitrate", br, 0)
		w.num("packetRate", s.pps*8, 0)
	}
	w.close()
}

// writeRemote writes the remote-inbound-rtp (for an outbound stream) or remote-outbound-rtp (for an
// inbound stream) report.
func (s *stream) writeRemote(w *jw, ts float64, full bool) {
	w.open()
	if full {
		if s.out {
			w.str("id", "RTCRemoteInboundRtp"+s.id[14:])
			w.str("type", "remote-inbound-rtp")
		} else {
			w.str("id", "RTCRemoteOutboundRtp"+s.id[13:])
			w.str("type", "remote-outbound-rtp")
		}
		w.str("kind", s.kindName())
		w.int("ssrc", int64(s.ssrc))
		w.num("timestamp", ts, 3)
	}
	w.str("localId", s.id)
	if s.out {
		w.int("packetsLost", s.rlost)
		w.num("fractionLost", s.fracLost, 6)
		w.num("jitter", s.jitter, 4)
		w.num("roundTripTime", s.rtt, 4)
	} else {
		w.int("packetsSent", s.rpackets)
	}
	w.close()
}
