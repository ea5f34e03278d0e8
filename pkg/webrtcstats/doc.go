// Package webrtcstats turns Peermetrics getStats samples into chartable, alertable WebRTC metrics.
//
// # The model
//
// A sample is one getStats poll of one RTCPeerConnection as the Peermetrics SDK stored it: the "main"
// stats row of app_genericevent (type "stats"), or one snapshot of summary.data once a conference has
// been summarized. A sample holds the selected candidate pair, the remote-inbound reports and one entry
// per inbound/outbound RTP stream, each identified by its W3C stats id. Every sample is timed by the
// row's created_at (the per-report `timestamp` is ignored: summary.data drops it, and the SDK's merge of
// a local report with its remote counterpart may overwrite it with the remote report's clock), so raw
// rows and summaries of the same call give the same series.
//
// Most W3C fields are counters: cumulative, monotonically increasing totals (bytesReceived,
// packetsLost, framesDecoded, jitterBufferDelay, ...). A counter alone says nothing about quality;
// a rate does:
//
//	rate = (cur − prev) / (t_cur − t_prev in seconds)
//
// for two consecutive samples of the same stats id. The rate has no value (ok=false, a null in a
// frame) when there is no previous sample, when the time did not advance, or when the counter went
// down (an ICE restart or stats reset starts the counter again from zero). A rate is therefore never
// negative and never spikes across a reset. Counters are read from the raw JSON text into uint64 and
// differenced in integers before any conversion to float64, so counters beyond 2^53 (the SDK may send
// BigInt-sized values, up to 2^64−1) keep an exact delta.
//
// Client-computed rates are never trusted: older SDKs sent `packetRate` 8× too large and `bitrate` of
// 0 on a new stream, and Peermetrics' own eMOS fed the packet loss as a 0–1 fraction. Every rate,
// loss and score here is derived from counters only; fields such as bitrate, packetRate or emos found
// in a sample are ignored. The only browser-computed value used is framesPerSecond, and only for a
// stream that carries no frame counters at all.
//
// Derived metrics, per stream and interval:
//   - bitrate (bit/s) = rate(bytes + headerBytes)·8; payload bytes alone when a sample lacks header bytes.
//   - packet rate (packets/s) = rate(packets) — never multiplied by 8.
//   - loss % = Δlost / (Δlost + Δreceived)·100; null on a regression of either counter and null when
//     no packet was expected in the interval (Δlost + Δreceived = 0: there is nothing to lose, and a 0
//     would read as "perfect" on a stalled stream). For an outbound stream the counters are those of
//     its remote-inbound report; when that report has no packetsReceived (browsers rarely fill it),
//     its RTCP fractionLost·100 is used instead.
//   - RTT (ms) from remote-inbound roundTripTime (an outbound stream's own report, matched by localId;
//     for an inbound stream the first remote-inbound report of the same kind, as Peermetrics does),
//     else the candidate pair: ΔtotalRoundTripTime / ΔresponsesReceived over the interval, else
//     currentRoundTripTime. Jitter (ms) from inbound jitter, or the remote-inbound jitter outbound.
//   - fps from the framesDecoded/framesReceived (inbound) or framesSent/framesEncoded (outbound) rate;
//     frame height as reported.
//   - MOS for inbound audio: the eMOS formula of Peermetrics (see EMOS) with the loss in percent over
//     the interval, as the E-model expects; the jitter buffer delay per emitted sample over the
//     interval (ΔjitterBufferDelay/ΔjitterBufferEmittedCount), else the cumulative ratio, else 0; the
//     interval bitrate (unknown → Ie = 6); FEC when fecPacketsReceived rose; RTT 0 when unknown
//     (as Peermetrics). No MOS without an interval loss (first point, reset, no packets).
//
// BuildSeries assembles those points per (kind, direction, stats id) and breaks the line with a null
// point across gaps; Detect finds threshold breaches with 3-of-5 hysteresis for alerting.
package webrtcstats
