package seed

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

// loadTiny generates the tiny profile into a fresh test database.
func loadTiny(t *testing.T) (*pgx.Conn, Stats) {
	t.Helper()
	db := testdb.New(t)
	ctx := context.Background()
	st, err := GenerateURL(ctx, db.URL, Profiles["tiny"])
	if err != nil {
		t.Fatalf("generate: %v", err)
	}
	conn, err := pgx.Connect(ctx, db.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close(context.Background()) })
	return conn, st
}

func count(t *testing.T, c *pgx.Conn, q string, args ...any) int64 {
	t.Helper()
	var n int64
	if err := c.QueryRow(context.Background(), q, args...).Scan(&n); err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

var checksumQueries = map[string]string{}

func init() {
	for _, tb := range Tables {
		order := "id"
		checksumQueries[tb] = fmt.Sprintf("SELECT count(*)::text || ':' || coalesce(md5(string_agg(t::text, '|' ORDER BY %s)), '') FROM %s t", order, tb)
	}
}

func checksums(t *testing.T, c *pgx.Conn) map[string]string {
	t.Helper()
	out := map[string]string{}
	for _, tb := range Tables {
		var s string
		if err := c.QueryRow(context.Background(), checksumQueries[tb]).Scan(&s); err != nil {
			t.Fatalf("checksum %s: %v", tb, err)
		}
		out[tb] = s
	}
	return out
}

func TestTiny(t *testing.T) {
	c, st := loadTiny(t)
	ctx := context.Background()
	t.Logf("tiny:\n%s", st)

	t.Run("counts", func(t *testing.T) {
		for _, tb := range Tables {
			if got := count(t, c, "SELECT count(*) FROM "+tb); got != st[tb] || got == 0 {
				t.Errorf("%s: %d rows in the table, Stats says %d", tb, got, st[tb])
			}
		}
		if n := count(t, c, "SELECT count(*) FROM conference"); n != 120 {
			t.Errorf("conferences = %d, want 120", n)
		}
		if n := count(t, c, "SELECT count(*) FROM organization"); n < 2 {
			t.Errorf("organizations = %d", n)
		}
		if n := count(t, c, "SELECT count(DISTINCT app_id) FROM conference"); n < 3 {
			t.Errorf("apps with traffic = %d", n)
		}
	})

	t.Run("time range", func(t *testing.T) {
		from, to := TinyEnd.Add(-72*time.Hour), TinyEnd
		for _, tb := range []string{"conference", "app_session", "app_connection", "app_genericevent", "app_issue", "summary"} {
			if n := count(t, c, "SELECT count(*) FROM "+tb+" WHERE created_at < $1 OR created_at >= $2", from, to); n != 0 {
				t.Errorf("%s: %d rows outside [End-Days, End)", tb, n)
			}
		}
	})

	t.Run("issue codes", func(t *testing.T) {
		want := map[string]string{
			"no_media_access": "e", "ice_failed": "e", "no_connection": "e", "very_low_emos": "e",
			"getusermedia_error": "w", "icecandidateerror": "w", "connection_disconnected": "w", "connection_failed": "e",
			"multiple_rejoins": "w", "tcp_used": "w", "turn_used": "w", "low_emos": "w",
		}
		rows, err := c.Query(ctx, "SELECT code, string_agg(DISTINCT type, ','), count(*) FILTER (WHERE is_active) FROM app_issue GROUP BY code")
		if err != nil {
			t.Fatal(err)
		}
		got := map[string]string{}
		for rows.Next() {
			var code, types string
			var n int64
			if err := rows.Scan(&code, &types, &n); err != nil {
				t.Fatal(err)
			}
			if n == 0 {
				t.Errorf("%s: no active issue", code)
			}
			got[code] = types
		}
		if rows.Err() != nil {
			t.Fatal(rows.Err())
		}
		for code, typ := range want {
			if got[code] != typ {
				t.Errorf("issue %s: types %q, want %q", code, got[code], typ)
			}
		}
		for code := range got {
			if _, ok := want[code]; !ok {
				t.Errorf("unexpected issue code %s", code)
			}
		}
		for _, code := range []string{"icecandidateerror", "turn_used"} {
			if n := count(t, c, "SELECT count(*) FROM app_issue WHERE code = $1 AND (conference_id IS NOT NULL OR connection_id IS NULL)", code); n != 0 {
				t.Errorf("%s: %d rows with conference_id set or no connection", code, n)
			}
		}
		if n := count(t, c, "SELECT count(*) FROM app_issue WHERE code NOT IN ('icecandidateerror','turn_used') AND conference_id IS NULL"); n != 0 {
			t.Errorf("%d other issues without conference_id", n)
		}
		for _, code := range []string{"low_emos", "very_low_emos"} {
			if n := count(t, c, "SELECT count(*) FROM app_issue WHERE code = $1 AND jsonb_typeof(data->'average') IS DISTINCT FROM 'number'", code); n != 0 {
				t.Errorf("%s without {average}: %d", code, n)
			}
		}
		if n := count(t, c, "SELECT count(*) FROM app_issue WHERE code = 'low_emos' AND NOT ((data->>'average')::float BETWEEN 3 AND 4)"); n != 0 {
			t.Errorf("low_emos average out of [3,4): %d", n)
		}
	})

	t.Run("getusermedia_error shapes", func(t *testing.T) {
		for shape, q := range map[string]string{
			"object":    "jsonb_typeof(data) = 'object' AND data ? 'name' AND data ? 'message'",
			"string":    "jsonb_typeof(data) = 'string'",
			"list":      "jsonb_typeof(data) = 'array'",
			"sql null":  "data IS NULL",
			"json null": "jsonb_typeof(data) = 'null'",
		} {
			if n := count(t, c, "SELECT count(*) FROM app_issue WHERE code = 'getusermedia_error' AND "+q); n == 0 {
				t.Errorf("no getusermedia_error with a %s data", shape)
			}
		}
		for kind, q := range map[string]string{
			"request": "type = 'getUserMedia' AND data ? 'constraints' AND NOT data ? 'error'",
			"success": "type = 'getUserMedia' AND (data ? 'audio' OR data ? 'video')",
			"error":   "type = 'getUserMedia' AND data->'error' ? 'name'",
			"display": "type = 'getDisplayMedia'",
		} {
			if n := count(t, c, "SELECT count(*) FROM app_genericevent WHERE category = 'M' AND "+q); n == 0 {
				t.Errorf("no %s media event", kind)
			}
		}
	})

	t.Run("sfu", func(t *testing.T) {
		for _, pid := range []string{"livekit-sfu-server-outbound", "livekit-sfu-server-inbound", "jitsi-sfu-server-jvb", "jitsi-sfu-server-p2p"} {
			if n := count(t, c, `SELECT count(*) FROM app_connection cn JOIN participant p ON p.id = cn.peer_id
				JOIN app_session s ON s.id = cn.session_id WHERE p.participant_id = $1 AND p.is_sfu
				AND s.webrtc_sdk = $2`, pid, strings.Split(pid, "-")[0]); n == 0 {
				t.Errorf("no connection to %s", pid)
			}
		}
		// every LiveKit session has a publisher and a subscriber connection
		if n := count(t, c, `SELECT count(*) FROM app_session s WHERE s.webrtc_sdk = 'livekit' AND
			(SELECT count(DISTINCT p.participant_id) FROM app_connection cn JOIN participant p ON p.id = cn.peer_id WHERE cn.session_id = s.id) <> 2`); n != 0 {
			t.Errorf("%d LiveKit sessions without exactly publisher+subscriber", n)
		}
		if n := count(t, c, `SELECT count(*) FROM app_session s WHERE s.webrtc_sdk = 'jitsi' AND EXISTS (SELECT 1 FROM app_connection a JOIN participant p ON p.id=a.peer_id WHERE a.session_id=s.id AND p.participant_id='jitsi-sfu-server-p2p')
			AND EXISTS (SELECT 1 FROM app_connection a JOIN participant p ON p.id=a.peer_id WHERE a.session_id=s.id AND p.participant_id='jitsi-sfu-server-jvb')`); n == 0 {
			t.Error("no Jitsi session with both a JVB and a P2P connection")
		}
		if n := count(t, c, "SELECT count(*) FROM app_genericevent WHERE category = 'B' AND type IN ('jitsiUserJoined','jitsiUserLeft')"); n == 0 {
			t.Error("no jitsi browser events")
		}
		if n := count(t, c, `SELECT count(*) FROM app_session s JOIN app_connection cn ON cn.session_id = s.id JOIN participant p ON p.id = cn.peer_id
			WHERE s.webrtc_sdk IS NULL AND NOT p.is_sfu`); n == 0 {
			t.Error("no plain P2P connection")
		}
		if n := count(t, c, "SELECT count(*) FROM app_session s JOIN participant p ON p.id = s.participant_id WHERE p.is_sfu"); n != 0 {
			t.Errorf("%d sessions of SFU participants", n)
		}
	})

	t.Run("ongoing", func(t *testing.T) {
		if n := count(t, c, "SELECT count(*) FROM conference WHERE ongoing AND end_time IS NULL AND is_active AND created_at >= $1", TinyEnd.Add(-time.Hour)); n < 2 {
			t.Errorf("ongoing conferences = %d", n)
		}
		if n := count(t, c, "SELECT count(*) FROM conference WHERE ongoing AND (end_time IS NOT NULL OR created_at < $1)", TinyEnd.Add(-time.Hour)); n != 0 {
			t.Errorf("%d malformed ongoing conferences", n)
		}
		if n := count(t, c, "SELECT count(*) FROM summary s JOIN conference c ON c.id = s.conference_id WHERE c.ongoing"); n != 0 {
			t.Errorf("%d summaries of ongoing conferences", n)
		}
		if n := count(t, c, "SELECT count(*) FROM app_genericevent e JOIN conference c ON c.id = e.conference_id WHERE c.ongoing AND e.type = 'stats'"); n == 0 {
			t.Error("ongoing conferences have no stats rows")
		}
	})

	t.Run("duration buckets", func(t *testing.T) {
		n := count(t, c, `SELECT count(DISTINCT b) FROM (SELECT width_bucket(duration, ARRAY[60,180,300,600,900,1200,1500,1800,2400,3000,3600]) b
			FROM conference WHERE is_active AND NOT ongoing) x`)
		if n != 12 {
			t.Errorf("%d of 12 duration buckets non-empty", n)
		}
	})

	t.Run("setup buckets", func(t *testing.T) {
		n := count(t, c, `SELECT count(DISTINCT width_bucket(ms, ARRAY[250,500,750,1000,1500,2000,2500,3000,4000,5000]::float8[])) FROM (
			SELECT extract(epoch FROM ((connection_info->'negotiations'->0->>'end_time')::timestamptz - (connection_info->'negotiations'->0->>'start_time')::timestamptz))*1000 ms
			FROM app_connection WHERE is_active AND jsonb_typeof(connection_info->'negotiations') = 'array'
			AND connection_info->'negotiations'->0->>'status' = 'connected') x`)
		if n != 11 {
			t.Errorf("%d of 11 setup-time buckets non-empty", n)
		}
		for what, q := range map[string]string{
			"no negotiations key": "NOT connection_info ? 'negotiations'",
			"empty negotiations":  "connection_info->'negotiations' = '[]'::jsonb",
			"first failed":        "connection_info->'negotiations'->0->>'status' = 'failed'",
			"type NULL":           "type IS NULL AND state <> 'failed'",
			"relay":               "type = 'r'",
			"host":                "type = 'h'",
			"srflx":               "type = 's'",
			"prflx":               "type = 'p'",
			"failed":              "state = 'failed'",
			"disconnected":        "state = 'disconnected'",
			"closed":              "state = 'closed'",
			"connected":           "state = 'connected'",
			"tcp":                 "(connection_info->>'detected_tcp')::boolean",
		} {
			if n := count(t, c, "SELECT count(*) FROM app_connection WHERE "+q); n == 0 {
				t.Errorf("no connection with %s", what)
			}
		}
		relayPct := count(t, c, "SELECT (100 * count(*) FILTER (WHERE type = 'r') / count(type))::bigint FROM app_connection")
		if relayPct < 5 || relayPct > 25 {
			t.Errorf("relay share %d%%", relayPct)
		}
	})

	t.Run("sessions", func(t *testing.T) {
		for what, q := range map[string]string{
			"geo {}":          "geo_ip = '{}'::jsonb",
			"geo 0/0":         "(geo_ip->>'latitude')::float = 0 AND (geo_ip->>'longitude')::float = 0",
			"geo city":        "geo_ip ? 'city' AND (geo_ip->>'latitude')::float <> 0",
			"devices list":    "jsonb_typeof(devices) = 'array'",
			"devices default": "devices = '{}'::jsonb",
			"rejoin":          "true GROUP BY conference_id, participant_id HAVING count(*) > 1",
		} {
			if n := count(t, c, "SELECT count(*) FROM (SELECT 1 FROM app_session WHERE "+q+") x"); n == 0 {
				t.Errorf("no session with %s", what)
			}
		}
		for _, b := range []string{"Chrome", "Firefox", "Safari", "Edge"} {
			if n := count(t, c, "SELECT count(*) FROM app_session WHERE platform->'browser'->>'name' = $1", b); n == 0 {
				t.Errorf("no %s session", b)
			}
		}
		for _, o := range []string{"Windows", "Mac OS", "Linux", "Android", "iOS"} {
			if n := count(t, c, "SELECT count(*) FROM app_session WHERE platform->'os'->>'name' = $1", o); n == 0 {
				t.Errorf("no %s session", o)
			}
		}
		if n := count(t, c, "SELECT count(*) FROM app_issue i WHERE code = 'multiple_rejoins' AND NOT EXISTS (SELECT 1 FROM app_session s JOIN app_session s2 ON s2.conference_id = s.conference_id AND s2.participant_id = s.participant_id AND s2.id <> s.id WHERE s.id = i.session_id)"); n != 0 {
			t.Errorf("%d multiple_rejoins issues without a second session", n)
		}
		// participant_conferences covers every session's participant
		if n := count(t, c, "SELECT count(*) FROM app_session s WHERE NOT EXISTS (SELECT 1 FROM participant_conferences pc WHERE pc.participant_id = s.participant_id AND pc.conference_id = s.conference_id)"); n != 0 {
			t.Errorf("%d sessions without participant_conferences", n)
		}
	})

	t.Run("soft delete", func(t *testing.T) {
		for _, tb := range []string{"conference", "app_session", "app_issue"} {
			if n := count(t, c, "SELECT count(*) FROM "+tb+" WHERE NOT is_active"); n == 0 {
				t.Errorf("no soft-deleted %s", tb)
			}
		}
		for _, tb := range []string{"app_session", "app_connection", "app_genericevent", "app_issue"} {
			if n := count(t, c, "SELECT count(*) FROM "+tb+" x JOIN conference c ON c.id = x.conference_id WHERE NOT c.is_active AND x.is_active"); n != 0 {
				t.Errorf("%d active %s rows under a soft-deleted conference", n, tb)
			}
		}
	})

	t.Run("stats", func(t *testing.T) {
		// a counter reset: the same stats id whose bytesReceived/bytesSent goes down between polls
		n := count(t, c, `WITH s AS (
			SELECT e.connection_id, e.created_at, (x->>'bytesSent')::numeric b, x->>'id' sid
			FROM app_genericevent e, jsonb_array_elements(e.data->'audio'->'outbound') x
			WHERE e.type = 'stats' AND e.track_id IS NULL)
			SELECT count(*) FROM (SELECT b < lag(b) OVER (PARTITION BY connection_id, sid ORDER BY created_at) dec FROM s) y WHERE dec`)
		if n == 0 {
			t.Error("no counter reset in stats rows")
		}
		if n := count(t, c, `SELECT count(*) FROM app_genericevent WHERE type = 'stats' AND track_id IS NULL
			AND (data->'connection'->>'bytesSent')::numeric > 9007199254740992`); n == 0 {
			t.Error("no BigInt-sized byte counter")
		}
		if n := count(t, c, `SELECT count(*) FROM app_genericevent e, jsonb_array_elements(e.data->'remote'->'audio'->'inbound') x
			WHERE e.type = 'stats' AND (x->>'roundTripTime')::float > 0.4`); n == 0 {
			t.Error("no high-RTT sample")
		}
		if n := count(t, c, `SELECT count(*) FROM app_genericevent e, jsonb_array_elements(e.data->'audio'->'inbound') x
			WHERE e.type = 'stats' AND x ? 'packetsReceived' AND x ? 'jitterBufferEmittedCount' AND x ? 'headerBytesReceived' AND (x->>'packetsLost')::float > 0`); n == 0 {
			t.Error("no inbound audio report with W3C counters")
		}
		if n := count(t, c, "SELECT count(*) FROM app_genericevent WHERE type = 'stats' AND category = 'S' AND track_id IS NOT NULL AND data ? 'track'"); n == 0 {
			t.Error("no media-source track stats row")
		}
		// raw stats only for the last RawStatsDays and ongoing conferences
		if n := count(t, c, `SELECT count(*) FROM app_genericevent e JOIN conference c ON c.id = e.conference_id
			WHERE e.type = 'stats' AND c.created_at < $1 AND NOT c.ongoing`, TinyEnd.Add(-24*time.Hour)); n != 0 {
			t.Errorf("%d stats rows of conferences older than RawStatsDays", n)
		}
		// polls every 10 s per connection
		if n := count(t, c, `SELECT count(*) FROM (SELECT created_at - lag(created_at) OVER (PARTITION BY connection_id ORDER BY created_at) d
			FROM app_genericevent WHERE type = 'stats' AND track_id IS NULL) x WHERE d IS NOT NULL AND d <> interval '10 s'`); n != 0 {
			t.Errorf("%d stats polls not 10 s apart", n)
		}
	})

	t.Run("summaries", func(t *testing.T) {
		if n := count(t, c, "SELECT count(*) FROM conference c WHERE NOT ongoing AND end_time < $1 AND NOT EXISTS (SELECT 1 FROM summary s WHERE s.conference_id = c.id)", TinyEnd.Add(-3*time.Minute)); n != 0 {
			t.Errorf("%d ended conferences without a summary", n)
		}
		if n := count(t, c, "SELECT count(*) FROM summary WHERE jsonb_typeof(data) = 'array' AND jsonb_array_length(data) > 0"); n == 0 {
			t.Error("no summary with snapshots")
		}
		// snapshots sorted by time, with the documented envelope
		if n := count(t, c, `SELECT count(*) FROM (SELECT (x->>'created_at')::timestamptz t,
			lag((x->>'created_at')::timestamptz) OVER (PARTITION BY s.id ORDER BY o) p
			FROM summary s, jsonb_array_elements(s.data) WITH ORDINALITY AS a(x, o)) y WHERE t < p`); n != 0 {
			t.Errorf("%d snapshots out of order", n)
		}
		if n := count(t, c, `SELECT count(*) FROM summary s, jsonb_array_elements(s.data) x
			WHERE NOT (x ?& array['id','app','session','conference','participant','peer','connection','created_at','type','data'])
			OR NOT (x->'data'->'connection' ?& array['id','bytesSent','packetsSent','responsesReceived','totalRoundTripTime'])`); n != 0 {
			t.Errorf("%d malformed snapshots", n)
		}
		if n := count(t, c, `SELECT max(c) FROM (SELECT count(*) c FROM summary s, jsonb_array_elements(s.data) x GROUP BY s.id, x->>'connection') y`); n > 60 {
			t.Errorf("%d snapshots for one connection, cap is 60", n)
		}
	})

	t.Run("events", func(t *testing.T) {
		for _, cat := range []string{"B", "M", "C", "T", "S"} {
			if n := count(t, c, "SELECT count(*) FROM app_genericevent WHERE category = $1", cat); n == 0 {
				t.Errorf("no %s events", cat)
			}
		}
		if n := count(t, c, "SELECT count(*) FROM app_genericevent WHERE type = 'onconnectionstatechange' AND data->>'connectionState' = 'failed'"); n == 0 {
			t.Error("no failed connection state event")
		}
		if n := count(t, c, "SELECT count(*) FROM app_track WHERE connection_id IS NULL"); n == 0 {
			t.Error("no track without a connection")
		}
	})

	t.Run("foreign keys", func(t *testing.T) {
		// loaded with the FK triggers on, but check the nullable references and the serial too
		if n := count(t, c, "SELECT count(*) FROM app_genericevent e WHERE e.track_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM app_track tr WHERE tr.id = e.track_id)"); n != 0 {
			t.Errorf("%d events with a dangling track_id", n)
		}
		if n := count(t, c, "SELECT nextval(pg_get_serial_sequence('participant_conferences', 'id')) - (SELECT max(id) FROM participant_conferences)"); n != 1 {
			t.Errorf("participant_conferences sequence is not past max(id) (diff %d)", n)
		}
	})

	t.Run("deterministic", func(t *testing.T) { deterministic(t, c) })
}

// deterministic loads the tiny profile a second time and compares a checksum of every table with the
// first load; another seed must give other data.
func deterministic(t *testing.T, first *pgx.Conn) {
	want := checksums(t, first)
	// the second load uses FastLoad (two connections, no FK triggers): the rows must not change
	db2 := testdb.New(t)
	cfg2 := Profiles["tiny"]
	cfg2.FastLoad = true
	if _, err := GenerateURL(context.Background(), db2.URL, cfg2); err != nil {
		t.Fatal(err)
	}
	c, err := pgx.Connect(context.Background(), db2.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close(context.Background())
	got := checksums(t, c)
	for _, tb := range Tables {
		if got[tb] != want[tb] {
			t.Errorf("%s differs between two runs: %s vs %s", tb, want[tb], got[tb])
		}
	}
	db := testdb.New(t)
	cfg := Profiles["tiny"]
	cfg.Seed = 2
	cfg.Days, cfg.ConferencesPerDay = 1, 35
	if _, err := GenerateURL(context.Background(), db.URL, cfg); err != nil {
		t.Fatal(err)
	}
	other, err := pgx.Connect(context.Background(), db.URL)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close(context.Background())
	if checksums(t, other)["conference"] == want["conference"] {
		t.Error("seed 2 produced the same conferences as seed 1")
	}
}

func TestConfigValidation(t *testing.T) {
	for _, cfg := range []Config{{}, {Days: 1, ConferencesPerDay: 1, Organizations: 1, Apps: 1}} {
		if _, err := Generate(context.Background(), nil, cfg); err == nil {
			t.Errorf("config %+v accepted", cfg)
		}
	}
}
