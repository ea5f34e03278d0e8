// Package seed generates deterministic Peermetrics data for tests, the docker-compose demo and the
// benchmarks, and loads it with COPY into a database holding the schema of pkg/schema.
//
// # Determinism
//
// Every random choice comes from math/rand/v2 PCG streams derived from Config.Seed: one stream for the
// set-up (organizations, apps, user pools), one per day for the conference start times and one per
// conference for everything in it; UUIDs (v4) are drawn from those streams. Output never depends on
// map iteration order or the clock (Config.End is required), and participant_conferences.id is
// assigned by the generator, so the same Config gives the same rows whatever the load parallelism.
// Only the progress report reads the clock.
//
// # Model
//
//   - Load: ConferencesPerDay per day, start times on a diurnal curve over UTC hours (peak ~14:30 UTC,
//     night floor ~11 % of the peak). Apps get traffic weights 1, 1/2, 1/3, ...; the last app of
//     several gets 3 % (the quiet app). Each app has a user pool (a user joins ~6 conferences over the
//     period) with a stable browser/OS (ua-parser shape), location, devices and metadata per user.
//   - Topologies: plain P2P (webrtc_sdk NULL; 2 participants, sometimes 1 who never connects),
//     LiveKit (2–12 users, each with a publisher connection to livekit-sfu-server-outbound and a
//     subscriber connection to livekit-sfu-server-inbound) and Jitsi (2–8 users, a JVB connection to
//     jitsi-sfu-server-jvb and, in 2-person rooms, often a P2P connection to jitsi-sfu-server-p2p;
//     jitsiUserJoined/jitsiUserLeft browser events). SFU participants have is_sfu = true and are
//     linked to the conference in participant_conferences like the users.
//   - Durations over the 12 dashboard buckets (20 s … 2 h); setup times log-normal (median ~600 ms)
//     over the 11 buckets; connection type host/srflx/prflx/relay with relay ~12 %, some NULL; final
//     state closed/disconnected/failed (connected while ongoing).
//   - Issues as the API writes them, from what happened in the simulated call: getUserMedia failures
//     (getusermedia_error with {name,message}, ~12 % in a legacy shape: a JSON string, a JSON list,
//     SQL NULL or JSON null; no_media_access when every request failed), ICE failures (ice_failed +
//     connection_failed, no_connection when a session never connected), disconnections (some with an
//     ICE restart that resets the counters), rejoins (multiple_rejoins on each extra session), TCP and
//     TURN (turn_used and icecandidateerror with conference_id NULL and connection_id set), low_emos /
//     very_low_emos ({average}) after the call for sessions that received lossy or high-RTT audio.
//     The eMOS averages are drawn in the range from the connection's quality class; they are
//     not recomputed from the samples.
//   - Stats: one main row per connection every app.interval (10 s) with the W3C counters
//     ({connection: candidate pair, remote: {audio|video: {inbound: remote-inbound-rtp, outbound:
//     remote-outbound-rtp}}, audio|video: {inbound, outbound}}), plus one row per outbound report
//     carrying a media-source track (track_id set). Counters are cumulative; a few connections reset
//     them after an ICE restart, a few start byte counters above 2^53 (BigInt-sized), 5 % of sessions
//     use an older SDK that adds client-computed bitrate/packetRate (packetRate 8x too large, bitrate
//     0 on a new stream).
//   - Soft deletes: ~1 % of conferences (with all their rows), ~0.7 % of sessions (with their rows)
//     and ~1 % of issues have is_active = false.
//   - Ongoing conferences: max(2, ConferencesPerDay/150) start in the last hour before End; their
//     sessions and connections are open, they keep raw stats and have no summary.
//
// # Coverage by construction
//
// The first 30 conferences of every day each carry one scenario (a legacy getusermedia_error shape,
// ICE failure, rejoin, TURN, counter reset, a soft delete, ...) and the first 36 cycle through the 12
// duration buckets and the 11 setup-time buckets, and the first 30 through the three topologies. With
// at least ~32 conferences a day and RawStatsDays >= 1 every case exists; the tiny profile (40/day)
// is checked by the tests.
//
// # Volume choices
//
// Stats rows are what makes the volume: ~1,000 rows per conference. They are kept only for
// conferences created in the last RawStatsDays days and for ongoing ones (tiny 1, demo 2, seed30 1);
// older conferences have their time series only in summary.data, as with the API's
// POST_CONFERENCE_CLEANUP. summary.data holds one snapshot per connection every SummaryStep, at
// most SummaryMaxSnapshots per connection (a longer connection gets a longer step): tiny and demo
// 30 s / 60, seed30 120 s / 10. Snapshots keep the counters and the gauges quality needs (jitter,
// roundTripTime, fractionLost, frameHeight, framesPerSecond) and drop the rest.
//
// # Loading
//
// Batches of ~200 conferences are generated while the previous one is copied (pgx CopyFrom, one COPY
// per table, parents first). synchronous_commit is off for the load. With Config.FastLoad (demo,
// seed30) and a role allowed to set session_replication_role, foreign-key triggers are skipped and
// GenerateURL copies over two connections. The load ends with ANALYZE.
package seed
