package store_test

import (
	"context"
	_ "embed"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/settings"
	"github.com/peermetrics/grafana-datasource/pkg/store"
)

// The expected values below are counted by hand from testdata/fixture.sql plus the additions in
// testdata/lists.sql (loaded after it). Ids: conference Cn = ...0c<n>, session Sn = ...0d<n>, connection Kn =
// ...0e<n>, issue Fn = ...0f<n>, participant Pn = ...0b<n>. The range is 2026-11-01 to 11-04.

//go:embed testdata/lists.sql
var listsSQL string

const (
	listsApp2 = "00000000-0000-4000-8000-000000000a12"
	uuidPfx   = "00000000-0000-4000-8000-000000000"
)

// lists.sql holds only the additions to fixture.sql.
func listsPool(t *testing.T) *pgxpool.Pool { return loadedPool(t, fixtureSQL, listsSQL) }

func listsStore(pool *pgxpool.Pool, scope store.Scope) *store.Store {
	return store.New(pool, scope, settings.Thresholds{})
}

var app1Scope = store.Scope{AppIDs: []string{app1}}

// listsCol reads a column as strings (NULL as "<nil>", times as RFC 3339, numbers as %v).
func listsCol(t *testing.T, f *data.Frame, name string) []string {
	t.Helper()
	fld, _ := f.FieldByName(name)
	if fld == nil {
		t.Fatalf("frame %s has no field %q", f.Name, name)
	}
	out := make([]string, fld.Len())
	for i := range out {
		v, ok := fld.ConcreteAt(i)
		if !ok {
			out[i] = "<nil>"
			continue
		}
		if x, isTime := v.(time.Time); isTime {
			out[i] = x.UTC().Format(time.RFC3339Nano)
		} else {
			out[i] = fmt.Sprint(v)
		}
	}
	return out
}

func listsWant(t *testing.T, f *data.Frame, name string, want ...string) {
	t.Helper()
	if got := listsCol(t, f, name); !reflect.DeepEqual(got, want) {
		t.Errorf("%s.%s = %q, want %q", f.Name, name, got, want)
	}
}

// short maps full uuids to their last three characters (c12, d16, ...), for readable expectations.
func short(ids []string) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = strings.TrimPrefix(id, uuidPfx)
	}
	return out
}

func listsWantIDs(t *testing.T, f *data.Frame, name string, want ...string) {
	t.Helper()
	if got := short(listsCol(t, f, name)); !reflect.DeepEqual(got, want) {
		t.Errorf("%s.%s = %q, want %q", f.Name, name, got, want)
	}
}

func listsTotal(t *testing.T, f *data.Frame) int64 {
	t.Helper()
	if f.Meta == nil || f.Meta.Custom == nil {
		t.Fatalf("frame %s has no Meta.Custom", f.Name)
	}
	return f.Meta.Custom.(map[string]any)["total"].(int64)
}

func TestConferencesListHandCounted(t *testing.T) {
	pool := listsPool(t)
	st := listsStore(pool, app1Scope)
	f := run(t, st, query.TypeConferences, `{}`)[0]
	// App one, created in range, active: C12 (11-03 14:00), C11 (11-03 12:00), C5 (11-03 08:00),
	// C4 (11-02 15:00), C8 (11-02 10:00), C3 (11-02 09:00), C2 (11-01 12:00), C1 (11-01 10:00).
	// C6 is soft-deleted, C7 starts before the range, C9/C13 (app three) and C10 (app two) are
	// outside the scope.
	listsWantIDs(t, f, "id", "c12", "c11", "c05", "c04", "c08", "c03", "c02", "c01")
	listsWant(t, f, "conferenceId", "c12", "c11", "c5", "c4", "c8", "c3", "c2", "c1")
	// Participants: C12 Ann (Jitsi P2P + JVB connections, one participant) and Cid = 2; C4 Bob
	// twice = 1; C8 only S11 (S12 is soft-deleted) = 1; C1 Ann, Bob; C2 Ann, Cid.
	listsWant(t, f, "participants", "2", "1", "1", "1", "1", "1", "2", "2")
	// Issues attributed through connection/session: C12 F16 turn_used (via K17) + F17 gUM (legacy
	// data) = 2 w; C11 F12-F14 disconnected (w) + F15 failed (e); C5 F05 no_connection (session);
	// C4 F11 is on soft-deleted K10; C8 F07 inactive, F08 on inactive S12; C3 F04 ice_failed but
	// ongoing; C2 F02 (via K03, w) + F03 (via K04, e); C1 F01 tcp_used + F09 gUM error (w).
	listsWant(t, f, "status", "warning", "error", "error", "success", "success", "ongoing", "error", "warning")
	listsWant(t, f, "errors", "0", "1", "1", "0", "0", "1", "1", "0")
	listsWant(t, f, "warnings", "2", "3", "0", "0", "0", "0", "1", "2")
	// Top issue: most frequent, errors first on ties, then by code.
	listsWant(t, f, "topIssue", "getusermedia_error", "connection_disconnected", "no_connection", "<nil>", "<nil>",
		"ice_failed", "connection_failed", "getusermedia_error")
	listsWant(t, f, "durationSeconds", "1200", "600", "30", "300", "40", "0", "60", "120")
	// C3 is ongoing without end_time: no end. C12 ended at its end_time.
	listsWant(t, f, "end", "2026-11-03T14:20:00Z", "2026-11-03T12:10:00Z", "2026-11-03T08:00:00Z", "2026-11-02T15:05:00Z",
		"2026-11-02T10:01:00Z", "<nil>", "2026-11-01T12:01:00Z", "2026-11-01T10:02:00Z")
	if got := listsTotal(t, f); got != 8 {
		t.Errorf("total = %d, want 8", got)
	}
	if f.Meta.Type != data.FrameTypeTable || f.Meta.ExecutedQueryString == "" || len(f.Meta.Notices) != 0 {
		t.Errorf("meta = %+v", f.Meta)
	}
	idField, _ := f.FieldByName("id")
	if len(idField.Config.Links) != 1 || idField.Config.Links[0].URL !=
		fmt.Sprintf("/d/peermetrics-conference?from=%d&to=%d&var-conference=${__value.raw}", from.UnixMilli(), to.UnixMilli()) {
		t.Errorf("id links = %+v", idField.Config.Links)
	}
}

func TestConferencesPaginationAndIssueCodeNoDuplicates(t *testing.T) {
	pool := listsPool(t)
	st := listsStore(pool, app1Scope)
	// Pages of 3 over the 8 conferences: the total never changes, no row repeats, none is lost.
	var seen []string
	for _, page := range []struct {
		offset int
		want   []string
		notice bool
	}{
		{0, []string{"c12", "c11", "c05"}, true},
		{3, []string{"c04", "c08", "c03"}, true},
		{6, []string{"c02", "c01"}, false},
		{9, []string{}, false},
	} {
		f := run(t, st, query.TypeConferences, fmt.Sprintf(`{"limit":3,"offset":%d}`, page.offset))[0]
		listsWantIDs(t, f, "id", page.want...)
		if got := listsTotal(t, f); got != 8 {
			t.Errorf("offset %d: total = %d, want 8", page.offset, got)
		}
		if got := len(f.Meta.Notices) > 0; got != page.notice {
			t.Errorf("offset %d: notice = %v, want %v", page.offset, got, page.notice)
		}
		seen = append(seen, short(listsCol(t, f, "id"))...)
	}
	if len(seen) != 8 || len(slices.Compact(slices.Sorted(slices.Values(seen)))) != 8 {
		t.Errorf("pages gave %v", seen)
	}

	// C11 has three connection_disconnected issues (one by conference_id, one through its
	// connection, one through its session) and a connection_failed: it is listed once.
	f := run(t, st, query.TypeConferences, `{"filters":{"issueCode":["connection_disconnected"]}}`)[0]
	listsWantIDs(t, f, "id", "c11")
	listsWant(t, f, "warnings", "3")
	if got := listsTotal(t, f); got != 1 {
		t.Errorf("issueCode total = %d, want 1", got)
	}
	// Two codes: C11 (both codes, four issues) and C2 (F03 connection_failed through K04), once each,
	// and a page of one still counts both.
	f = run(t, st, query.TypeConferences, `{"limit":1,"filters":{"issueCode":["connection_disconnected","connection_failed"]}}`)[0]
	listsWantIDs(t, f, "id", "c11")
	if got := listsTotal(t, f); got != 2 {
		t.Errorf("two codes total = %d, want 2", got)
	}
	f = run(t, st, query.TypeConferences, `{"limit":1,"offset":1,"filters":{"issueCode":["connection_disconnected","connection_failed"]}}`)[0]
	listsWantIDs(t, f, "id", "c02")

	// Other filters reach the list: status error = C11, C5, C2; Firefox sessions = C12 (Cid), C4, C1.
	f = run(t, st, query.TypeConferences, `{"filters":{"status":["error"]}}`)[0]
	listsWantIDs(t, f, "id", "c11", "c05", "c02")
	f = run(t, st, query.TypeConferences, `{"filters":{"browser":["Firefox"]}}`)[0]
	listsWantIDs(t, f, "id", "c12", "c04", "c01")
	f = run(t, st, query.TypeConferences, `{"filters":{"participantId":"p3"}}`)[0]
	listsWantIDs(t, f, "id", "c12", "c08", "c02")
}

func TestParticipantsListHandCounted(t *testing.T) {
	pool := listsPool(t)
	st := listsStore(pool, app1Scope)
	// C12 by the app's conference id: Ann (S16, Jitsi, two connections) and Cid (S17); C13 of app
	// three reuses "c12" but is outside the scope.
	for _, conf := range []string{"c12", uuidPfx + "c12"} {
		f := run(t, st, query.TypeParticipants, `{"conferenceId":"`+conf+`"}`)[0]
		listsWant(t, f, "participantId", "p1", "p3")
		listsWant(t, f, "name", "Ann", "Cid")
		listsWant(t, f, "sessions", "1", "1")
		listsWant(t, f, "browser", "Chrome", "Firefox")
		listsWant(t, f, "os", "Windows", "Mac OS")
		listsWant(t, f, "city", "Boston", "Berlin")
		listsWant(t, f, "country", "US", "DE")
		listsWant(t, f, "sdk", "jitsi", "jitsi")
		listsWant(t, f, "appVersion", "2.1", "2.1")
		listsWant(t, f, "timeInCallSeconds", "1200", "1140")
		// Ann: F16 turn_used on K17; Cid: F17 getusermedia_error.
		listsWant(t, f, "errors", "0", "0")
		listsWant(t, f, "warnings", "1", "1")
	}
	// Without the scope, C13's Hal (session at 14:00, like Ann's; ties by participant id) joins the
	// list for "c12".
	f := run(t, listsStore(pool, store.Scope{}), query.TypeParticipants, `{"conferenceId":"c12"}`)[0]
	listsWant(t, f, "participantId", "p1", "p8", "p3")

	// By participant only, in the range: Bob's S2 (C1), S6, S7 (C4) = 3 sessions, 600 s; latest
	// S7 Firefox; F09 (w) on S2; F11 sits on soft-deleted K10.
	f = run(t, st, query.TypeParticipants, `{"filters":{"participantId":"p2"}}`)[0]
	listsWant(t, f, "participantId", "p2")
	listsWant(t, f, "sessions", "3")
	listsWant(t, f, "timeInCallSeconds", "600")
	listsWant(t, f, "warnings", "1")
	listsWant(t, f, "errors", "0")

	// C3: Dee with a LiveKit subscriber, publisher and transport connection is one participant; the
	// SFU participants are not listed.
	f = run(t, st, query.TypeParticipants, `{"conferenceId":"c3"}`)[0]
	listsWant(t, f, "participantId", "p4")
}

func TestSessionsListHandCounted(t *testing.T) {
	pool := listsPool(t)
	st := listsStore(pool, app1Scope)
	f := run(t, st, query.TypeSessions, `{"conferenceId":"c12"}`)[0]
	listsWantIDs(t, f, "id", "d16", "d17")
	listsWant(t, f, "participantId", "p1", "p3")
	listsWant(t, f, "browser", "Chrome", "Firefox")
	listsWant(t, f, "browserVersion", "120.0", "121")
	listsWant(t, f, "os", "Windows", "Mac OS")
	listsWant(t, f, "osVersion", "10", "14")
	// S16's devices is the column default {}: unknown, counted in the notice. S17 lists two audio
	// inputs, one output and one camera.
	listsWant(t, f, "devices", "unknown", "2 audioinput, 1 audiooutput, 1 videoinput")
	listsWant(t, f, "city", "Boston", "Berlin")
	listsWant(t, f, "metadata", "attempt=2, room=blue", "")
	listsWant(t, f, "durationSeconds", "1200", "1140")
	// S16 ends at its end_time; S17 has none: start + 1140 s = 14:20:00.
	listsWant(t, f, "end", "2026-11-03T14:20:00Z", "2026-11-03T14:20:00Z")
	listsWant(t, f, "warnings", "1", "1")
	if len(f.Meta.Notices) != 1 || !strings.HasPrefix(f.Meta.Notices[0].Text, "1 session") {
		t.Errorf("notices = %+v", f.Meta.Notices)
	}
	if _, i := f.FieldByName("devicesKnown"); i >= 0 {
		t.Error("the devicesKnown helper column leaked into the frame")
	}
	// By connection: K17's session S16. By session: S4 (Safari, iOS), whose conference C2 is in range.
	f = run(t, st, query.TypeSessions, `{"connectionId":"`+uuidPfx+`e17"}`)[0]
	listsWantIDs(t, f, "id", "d16")
	f = run(t, st, query.TypeSessions, `{"sessionId":"`+uuidPfx+`d04"}`)[0]
	listsWant(t, f, "browser", "Safari")
	listsWant(t, f, "devices", "none")
	// A soft-deleted session is never shown, even by id.
	f = run(t, st, query.TypeSessions, `{"sessionId":"`+uuidPfx+`d12"}`)[0]
	if f.Rows() != 0 {
		t.Errorf("soft-deleted S12 listed")
	}
}

func TestConnectionsListPeerLabels(t *testing.T) {
	pool := listsPool(t)
	st := listsStore(pool, app1Scope)
	// C12: Ann's P2P (K16, 400 ms) and JVB (K17, first negotiation failed) connections, Cid's JVB (K18).
	f := run(t, st, query.TypeConnections, `{"conferenceId":"c12"}`)[0]
	listsWantIDs(t, f, "id", "e16", "e17", "e18")
	listsWant(t, f, "peer", "(P2P)", "(JVB/SFU)", "(JVB/SFU)")
	listsWant(t, f, "participantId", "p1", "p1", "p3")
	listsWant(t, f, "type", "host", "relay", "srflx")
	listsWant(t, f, "state", "connected", "failed", "connected")
	listsWant(t, f, "setupMs", "400", "<nil>", "<nil>")
	listsWant(t, f, "negotiations", "1", "1", "0")
	listsWant(t, f, "failedNegotiations", "0", "1", "0")
	// C3 (LiveKit): K5 subscriber, K19 publisher, K20 transport (type not yet known).
	f = run(t, st, query.TypeConnections, `{"conferenceId":"c3"}`)[0]
	listsWantIDs(t, f, "id", "e05", "e19", "e20")
	listsWant(t, f, "peer", "LiveKit SFU (subscriber)", "LiveKit SFU (publisher)", "LiveKit SFU")
	listsWant(t, f, "type", "relay", "relay", "unknown")
	// C11's K15: setup 250 ms, three negotiations of which one failed; the peer is Bob by name.
	f = run(t, st, query.TypeConnections, `{"conferenceId":"c11"}`)[0]
	listsWant(t, f, "peer", "Bob")
	listsWant(t, f, "setupMs", "250")
	listsWant(t, f, "negotiations", "3")
	listsWant(t, f, "failedNegotiations", "1")
	// C4: K10 is soft-deleted; K6 and K7 remain.
	f = run(t, st, query.TypeConnections, `{"conferenceId":"c4"}`)[0]
	listsWantIDs(t, f, "id", "e06", "e07")
	// The id links to the connection dashboard.
	fld, _ := f.FieldByName("id")
	if fld.Config.Links[0].URL != "/d/peermetrics-connection?var-connection=${__value.raw}" {
		t.Errorf("link = %s", fld.Config.Links[0].URL)
	}
}

func TestIssuesListAttribution(t *testing.T) {
	pool := listsPool(t)
	st := listsStore(pool, app1Scope)
	// C11: F12 (conference_id), F13 (through K15), F14 (through S15 only), F15; by time.
	f := run(t, st, query.TypeIssues, `{"conferenceId":"c11"}`)[0]
	listsWantIDs(t, f, "id", "f12", "f13", "f14", "f15")
	listsWant(t, f, "severity", "warning", "warning", "warning", "error")
	listsWant(t, f, "title", "Connection disconnected", "Connection disconnected", "Connection disconnected", "Connection failed")
	listsWantIDs(t, f, "conference", "c11", "c11", "c11", "c11")
	listsWantIDs(t, f, "connection", "e15", "e15", "<nil>", "e15")
	listsWant(t, f, "summary", "", "", "", "")
	// C12: F16 turn_used (conference_id NULL, through K17), F17 with legacy list data.
	f = run(t, st, query.TypeIssues, `{"conferenceId":"c12"}`)[0]
	listsWant(t, f, "code", "turn_used", "getusermedia_error")
	listsWant(t, f, "summary", "", `["NotFoundError", "Requested device not found"]`)
	listsWant(t, f, "participantId", "p1", "p3")
	// C1: F09's {name, message} object reads "name: message"; F01 has none.
	f = run(t, st, query.TypeIssues, `{"conferenceId":"c1"}`)[0]
	listsWant(t, f, "code", "getusermedia_error", "tcp_used")
	listsWant(t, f, "summary", "NotAllowedError: Permission denied", "")
	// By connection K15: F12, F13, F15 (F14 has no connection). With an issue code: F15 only.
	f = run(t, st, query.TypeIssues, `{"connectionId":"`+uuidPfx+`e15"}`)[0]
	listsWantIDs(t, f, "id", "f12", "f13", "f15")
	f = run(t, st, query.TypeIssues, `{"conferenceId":"c11","filters":{"issueCode":["connection_failed"]}}`)[0]
	listsWantIDs(t, f, "id", "f15")
	// C4's only issue sits on soft-deleted K10.
	f = run(t, st, query.TypeIssues, `{"conferenceId":"c4"}`)[0]
	if f.Rows() != 0 {
		t.Errorf("C4 issues: %d rows, want 0", f.Rows())
	}
	// Pagination: two of C11's four, total 4, with a notice.
	f = run(t, st, query.TypeIssues, `{"conferenceId":"c11","limit":2,"offset":1}`)[0]
	listsWantIDs(t, f, "id", "f13", "f14")
	if listsTotal(t, f) != 4 || len(f.Meta.Notices) != 1 {
		t.Errorf("total %d, notices %+v", listsTotal(t, f), f.Meta.Notices)
	}
}

func TestEventsListSummaries(t *testing.T) {
	pool := listsPool(t)
	st := listsStore(pool, app1Scope)
	// C12's events by time; the stats row and the soft-deleted event are left out.
	f := run(t, st, query.TypeEvents, `{"conferenceId":"c12"}`)[0]
	listsWant(t, f, "type", "getUserMedia", "onconnectionstatechange", "getUserMedia", "jitsiUserJoined", "tabfocus", "onicecandidateerror")
	listsWant(t, f, "category", "getUserMedia", "connection", "getUserMedia", "browser", "browser", "connection")
	listsWant(t, f, "summary",
		"error NotAllowedError: Permission denied",
		"connection state connected",
		"granted 1 audio, 1 video",
		"user p3 (Cid)",
		"legacy",
		"ICE candidate error 701 STUN host lookup received error. (stun:x)")
	listsWantIDs(t, f, "connection", "<nil>", "e16", "<nil>", "<nil>", "<nil>", "e18")
	// By connection K16: only its own state change.
	f = run(t, st, query.TypeEvents, `{"connectionId":"`+uuidPfx+`e16"}`)[0]
	listsWant(t, f, "summary", "connection state connected")
}

func TestAnnotationsFrame(t *testing.T) {
	pool := listsPool(t)
	st := listsStore(pool, app1Scope)
	// Live issues of app one created in the range: F01, F02, F03, F04, F05, F09, F10 (S10 of C7,
	// created 11-01 00:30) and F12-F17 = 13. F06 (C6 deleted), F07 (inactive), F08 (S12 deleted)
	// and F11 (K10 deleted) are out.
	f := run(t, st, query.TypeAnnotations, `{"limit":1000}`)[0]
	if f.Rows() != 13 {
		t.Errorf("annotations = %d, want 13", f.Rows())
	}
	var names []string
	for _, fld := range f.Fields {
		names = append(names, fld.Name)
	}
	if !reflect.DeepEqual(names, []string{"time", "title", "text", "tags"}) {
		t.Errorf("fields = %v", names)
	}
	f = run(t, st, query.TypeAnnotations, `{"filters":{"issueCode":["connection_disconnected"]}}`)[0]
	listsWant(t, f, "time", "2026-11-03T12:01:00Z", "2026-11-03T12:02:00Z", "2026-11-03T12:03:00Z")
	listsWant(t, f, "title", "Connection disconnected", "Connection disconnected", "Connection disconnected")
	listsWant(t, f, "tags", "connection_disconnected,warning,stored", "connection_disconnected,warning,stored", "connection_disconnected,warning,stored")
	listsWant(t, f, "text", "warning · participant Ann · conference Flaky", "warning · participant Ann · conference Flaky",
		"warning · participant Ann · conference Flaky")
}

func TestListsNeverLeaveTheScope(t *testing.T) {
	pool := listsPool(t)
	st := listsStore(pool, app1Scope)
	// C9 and C13 (app three) and C10 (app two) by uuid: nothing, in every list.
	for _, typ := range []string{query.TypeParticipants, query.TypeSessions, query.TypeConnections, query.TypeIssues, query.TypeEvents} {
		for _, c := range []string{"c09", "c10", "c13"} {
			f := run(t, st, typ, `{"conferenceId":"`+uuidPfx+c+`"}`)[0]
			if f.Rows() != 0 {
				t.Errorf("%s of %s (outside the scope) has %d rows", typ, c, f.Rows())
			}
		}
		// Hal (p8) is app three's.
		if f := run(t, st, typ, `{"filters":{"participantId":"p8"}}`)[0]; f.Rows() != 0 {
			t.Errorf("%s of p8 has %d rows", typ, f.Rows())
		}
	}
	// The organization scope reaches app two (C10) but never app three (C9, C13).
	f := run(t, listsStore(pool, store.Scope{OrganizationID: org1}), query.TypeConferences, `{"limit":100}`)[0]
	ids := short(listsCol(t, f, "id"))
	if !slices.Contains(ids, "c10") || slices.Contains(ids, "c09") || slices.Contains(ids, "c13") {
		t.Errorf("organization scope listed %v", ids)
	}
	// An app outside the scope is refused, not silently empty.
	q, err := query.Parse(backend.DataQuery{RefID: "A", QueryType: query.TypeVariable,
		JSON: []byte(`{"variable":"browsers","appId":"` + app3 + `"}`), TimeRange: backend.TimeRange{From: from, To: to}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := st.Run(context.Background(), q); err == nil {
		t.Error("variable for app three answered")
	}
}

func variableValues(t *testing.T, st *store.Store, body string) (texts, values []string) {
	t.Helper()
	f := run(t, st, query.TypeVariable, body)[0]
	return listsCol(t, f, "text"), listsCol(t, f, "value")
}

func TestVariableKinds(t *testing.T) {
	pool := listsPool(t)
	st := listsStore(pool, app1Scope)
	cases := []struct {
		body          string
		texts, values []string
	}{
		{`{"variable":"apps"}`, []string{"App one"}, []string{app1}},
		// Conferences created in the range, newest first (C6 deleted, C7 before the range).
		{`{"variable":"conferences","limit":2}`, []string{"Jitsi call (c12) · 2026-11-03 14:00", "Flaky (c11) · 2026-11-03 12:00"},
			[]string{uuidPfx + "c12", uuidPfx + "c11"}},
		{`{"variable":"conferences","filters":{"search":"RET"}}`, []string{"Retro (c4) · 2026-11-02 15:00"}, []string{uuidPfx + "c04"}},
		// Participants of C12 (C13's Hal is app three's).
		{`{"variable":"participants","conferenceId":"c12"}`, []string{"Ann (p1)", "Cid (p3)"}, []string{uuidPfx + "b01", uuidPfx + "b03"}},
		// Participants in the range: sessions of C1-C5, C8, C11, C12 (Fay only in C7; SFUs never).
		{`{"variable":"participants"}`, []string{"Ann (p1)", "Bob (p2)", "Cid (p3)", "Dee (p4)", "Eve (p5)"}, nil},
		// Edge is only in C7, before the range; Opera only in app three.
		{`{"variable":"browsers"}`, []string{"Chrome", "Firefox", "Safari"}, []string{"Chrome", "Firefox", "Safari"}},
		{`{"variable":"os"}`, []string{"Linux", "Mac OS", "Windows", "iOS"}, nil},
		{`{"variable":"countries"}`, []string{"DE", "FR", "US"}, nil},
		{`{"variable":"appVersions"}`, []string{"1.0", "2.1"}, nil},
		{`{"variable":"sdks"}`, []string{"jitsi", "livekit", "none"}, nil},
		// Codes seen in C11, with titles.
		{`{"variable":"issueCodes","conferenceId":"c11"}`, []string{"Connection disconnected", "Connection failed"},
			[]string{"connection_disconnected", "connection_failed"}},
		{`{"variable":"issueCodes","filters":{"search":"turn"}}`, []string{"Connection relayed through a TURN server"}, []string{"turn_used"}},
	}
	for _, tc := range cases {
		texts, values := variableValues(t, st, tc.body)
		if !reflect.DeepEqual(texts, tc.texts) || (tc.values != nil && !reflect.DeepEqual(values, tc.values)) {
			t.Errorf("%s: texts %q values %q, want %q %q", tc.body, texts, values, tc.texts, tc.values)
		}
	}
	// Without a conference, every known code is offered (12).
	if texts, _ := variableValues(t, st, `{"variable":"issueCodes"}`); len(texts) != 12 {
		t.Errorf("issueCodes: %d values, want 12", len(texts))
	}
	// A value picked in a variable filters exactly: the browsers variable's Safari is C2 and C8.
	f := run(t, st, query.TypeConferences, `{"filters":{"browser":["Safari"]}}`)[0]
	listsWantIDs(t, f, "id", "c08", "c02")
	// The participants variable's value (a uuid) works as filters.participantId.
	f = run(t, st, query.TypeSessions, `{"filters":{"participantId":"`+uuidPfx+`b03"}}`)[0]
	listsWantIDs(t, f, "id", "d04", "d11", "d17")
}

func TestValuesRecentDataAndScope(t *testing.T) {
	pool := listsPool(t)
	ctx := context.Background()
	st := listsStore(pool, app1Scope)
	// No time range: the 30 days before app one's newest conference (C12, 11-03) reach C7 (10-31),
	// so Edge appears; Opera (app three) never does.
	vals, err := st.Values(ctx, "browsers", "", "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := valueTexts(vals); !reflect.DeepEqual(got, []string{"Chrome", "Edge", "Firefox", "Safari"}) {
		t.Errorf("browsers = %v", got)
	}
	all, err := listsStore(pool, store.Scope{}).Values(ctx, "browsers", "", "", "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got := valueTexts(all); !slices.Contains(got, "Opera") {
		t.Errorf("unscoped browsers = %v, want Opera among them", got)
	}
	// Search and limit.
	vals, err = st.Values(ctx, "browsers", "", "fIr", "", 0)
	if err != nil || !reflect.DeepEqual(valueTexts(vals), []string{"Firefox"}) {
		t.Errorf("search: %v %v", vals, err)
	}
	vals, err = st.Values(ctx, "conferences", "", "", "", 2)
	if err != nil || len(vals) != 2 || vals[0].Value != uuidPfx+"c12" {
		t.Errorf("conferences: %v %v", vals, err)
	}
	// Organization one: apps one and two, never three; participants never Hal.
	org := listsStore(pool, store.Scope{OrganizationID: org1})
	vals, err = org.Values(ctx, "apps", "", "", "", 0)
	if err != nil || !reflect.DeepEqual(valueTexts(vals), []string{"App one", "App two"}) {
		t.Errorf("apps: %v %v", vals, err)
	}
	vals, err = org.Values(ctx, "participants", "", "", "", 0)
	if err != nil || slices.Contains(valueTexts(vals), "Hal (p8)") || !slices.Contains(valueTexts(vals), "Gus (p7)") {
		t.Errorf("participants: %v %v", valueTexts(vals), err)
	}
	vals, err = org.Values(ctx, "os", listsApp2, "", "", 0)
	if err != nil || !reflect.DeepEqual(valueTexts(vals), []string{"Android"}) {
		t.Errorf("os of app two: %v %v", vals, err)
	}
	// Conference "c12" names C12 in app one and C13 in app three: only C12's participants.
	vals, err = st.Values(ctx, "participants", "", "", "c12", 0)
	if err != nil || !reflect.DeepEqual(valueTexts(vals), []string{"Ann (p1)", "Cid (p3)"}) {
		t.Errorf("participants of c12: %v %v", vals, err)
	}
	// Errors: outside the scope, unknown kind, bad limit.
	if _, err := st.Values(ctx, "browsers", app3, "", "", 0); err == nil || !strings.Contains(err.Error(), "scope") {
		t.Errorf("app three: %v", err)
	}
	if _, err := st.Values(ctx, "planets", "", "", "", 0); err == nil {
		t.Error("unknown kind answered")
	}
	if _, err := st.Values(ctx, "os", "", "", "", 5000); err == nil {
		t.Error("limit 5000 answered")
	}
}

func valueTexts(vals []store.Value) []string {
	out := make([]string, len(vals))
	for i, v := range vals {
		out[i] = v.Text
	}
	return out
}
