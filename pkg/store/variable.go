package store

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/settings"
)

func init() { register(query.TypeVariable, runVariable) }

// Value is one entry of a template variable or an editor's value list.
type Value struct {
	Text  string `json:"text"`
	Value string `json:"value"`
}

var (
	// ErrUnknownValueKind is returned by Values for a kind outside query.VariableKinds.
	ErrUnknownValueKind = errors.New("unknown value kind")
	// ErrBadValuesRequest is returned by Values for an invalid parameter.
	ErrBadValuesRequest = errors.New("invalid values request")
)

const (
	// MaxValuesLimit bounds a Values call.
	MaxValuesLimit = 1000
	// RecentWindow and RecentConferences bound Values, which has no time range: the values seen in
	// the newest RecentConferences conferences of the last RecentWindow before the newest conference
	// in scope (relative to the data, not the clock, so answers are deterministic).
	RecentWindow      = 30 * 24 * time.Hour
	RecentConferences = 5000
)

// valuesReq is one values lookup. ranged lists values of conferences created in [from, to)
// (variable queries); otherwise the recent-data bound applies (resource calls).
type valuesReq struct {
	kind, appID, search, conferenceID string
	limit                             int
	ranged                            bool
	from, to                          time.Time
}

// Values lists the values of a kind for editors and the values/<kind> resource: apps in scope (text
// name, value id); conferences (newest first, value the uuid); participants (non-SFU, of
// conferenceID when given, value the participant uuid, which filters.participantId accepts);
// issue codes (text the title, value the code: the known codes and any other seen); and the
// session dimensions with the exact expressions the filters use. search narrows case-insensitively.
// Without a time range, values come from recent data (see RecentWindow); a conferenceID lifts
// that bound. Scope is inside every statement.
func (s *Store) Values(ctx context.Context, kind, appID, search, conferenceID string, limit int) ([]Value, error) {
	r := valuesReq{kind: kind, appID: strings.ToLower(strings.TrimSpace(appID)), search: strings.TrimSpace(search),
		conferenceID: strings.TrimSpace(conferenceID), limit: limit}
	if err := r.validate(); err != nil {
		return nil, err
	}
	if err := s.CheckApp(ctx, r.appID); err != nil {
		return nil, err
	}
	vals, _, _, err := s.values(ctx, r)
	return vals, err
}

func (r *valuesReq) validate() error {
	if !slices.Contains(query.VariableKinds, r.kind) {
		return fmt.Errorf("%w %q (one of %s)", ErrUnknownValueKind, r.kind, strings.Join(query.VariableKinds, ", "))
	}
	if r.limit == 0 {
		r.limit = query.DefaultLimit
	}
	switch {
	case r.limit < 1 || r.limit > MaxValuesLimit:
		return fmt.Errorf("%w: limit must be between 1 and %d, not %d", ErrBadValuesRequest, MaxValuesLimit, r.limit)
	case r.appID != "" && !settings.IsUUID(r.appID):
		return fmt.Errorf("%w: appId %q is not a uuid", ErrBadValuesRequest, r.appID)
	case len(r.search) > 200:
		return fmt.Errorf("%w: search must be at most 200 characters", ErrBadValuesRequest)
	case len(r.conferenceID) > 64:
		return fmt.Errorf("%w: conferenceId must be at most 64 characters", ErrBadValuesRequest)
	}
	return nil
}

// dimKinds maps the value kinds of session dimensions to their expressions in dims.go.
var dimKinds = map[string]string{"browsers": "browser", "os": "os", "countries": "country", "appVersions": "appVersion", "sdks": "sdk"}

// knownIssueCodes are the codes the Peermetrics API writes, sorted (not the derived ones, which no
// conference list can filter on).
func knownIssueCodes() []string {
	out := make([]string, 0, len(IssueTitles))
	for k, v := range IssueTitles {
		if !v.Derived {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// values runs the statement of one kind and returns it with the SQL and arguments.
func (s *Store) values(ctx context.Context, r valuesReq) ([]Value, string, []any, error) {
	b := &sqlb{}
	q := query.Query{AppID: r.appID, From: r.from, To: r.to}
	like := ""
	if r.search != "" {
		like = b.p("%" + escapeLike(r.search) + "%")
	}
	// win: the conferences whose values are listed (written only by the kinds that use it, so
	// every placeholder appears in the statement).
	win := func() string {
		winPreds := []string{"c.is_active", b.scopePred("c", s.scope, r.appID)}
		winLimit := ""
		switch {
		case r.conferenceID != "":
			winPreds = append(winPreds, b.confTargetPred("c", r.conferenceID))
		case r.ranged:
			winPreds = append(winPreds, b.rangePred("c", q))
		default:
			// The newest conference in scope, found per app on idx_conf_app_created.
			newest := `(SELECT max(x.m) FROM (SELECT id AS app_id FROM app) ap CROSS JOIN LATERAL (
	    SELECT c2.created_at AS m FROM conference c2 WHERE c2.app_id = ap.app_id AND c2.is_active ORDER BY c2.created_at DESC LIMIT 1) x
	    WHERE ` + b.scopePred("ap", s.scope, r.appID) + `)`
			winPreds = append(winPreds, "c.created_at >= "+newest+" - "+b.p(int64(RecentWindow/time.Second))+" * interval '1 second'")
			winLimit = " ORDER BY c.created_at DESC, c.id LIMIT " + b.p(RecentConferences)
		}
		if r.kind == "conferences" && like != "" {
			winPreds = append(winPreds, "(c.conference_id ILIKE "+like+" OR c.conference_name ILIKE "+like+" OR c.id::text = "+b.p(strings.ToLower(r.search))+")")
		}
		return "win AS MATERIALIZED (SELECT c.id, c.created_at, c.conference_id, c.conference_name FROM conference c WHERE " + and(winPreds...) + winLimit + ")"
	}
	limit := b.p(r.limit)
	var sql string
	switch r.kind {
	case "apps":
		pred := ""
		if like != "" {
			pred = " AND ap.name ILIKE " + like
		}
		sql = `SELECT ap.name, ap.app_id::text FROM (SELECT id AS app_id, name FROM app) ap WHERE ` +
			b.scopePred("ap", s.scope, r.appID) + pred + ` ORDER BY ap.name, ap.app_id LIMIT ` + limit
	case "conferences":
		sql = "WITH " + win() + `
SELECT CASE WHEN COALESCE(conference_name, '') NOT IN ('', conference_id) THEN conference_name || ' (' || conference_id || ')'
            ELSE conference_id END || ' · ' || to_char(created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'), id::text
FROM win ORDER BY created_at DESC, id LIMIT ` + limit
	case "participants":
		pred := ""
		if like != "" {
			pred = " AND (p.participant_id ILIKE " + like + " OR p.participant_name ILIKE " + like + ")"
		}
		sql = "WITH " + win() + `
SELECT CASE WHEN COALESCE(p.participant_name, '') NOT IN ('', p.participant_id) THEN p.participant_name || ' (' || p.participant_id || ')'
            ELSE p.participant_id END AS text, p.id::text
FROM participant p
WHERE p.is_active AND NOT p.is_sfu` + pred + `
  AND p.id IN (SELECT s.participant_id FROM app_session s WHERE s.is_active AND s.conference_id IN (SELECT id FROM win))
ORDER BY 1, 2 LIMIT ` + limit
	case "issueCodes":
		known := ""
		if r.conferenceID == "" {
			known = "SELECT unnest(" + b.p(knownIssueCodes()) + "::text[]) AS code UNION "
		}
		pred := ""
		if like != "" {
			pred = " WHERE code ILIKE " + like + " OR title ILIKE " + like
		}
		sql = "WITH " + win() + `,
codes AS (` + known + `SELECT DISTINCT i.code FROM app_issue i
  JOIN app_session s ON s.id = i.session_id AND s.is_active
  LEFT JOIN app_connection icn ON icn.id = i.connection_id
  WHERE ` + issueIsLiveSQL("i", "icn") + ` AND s.conference_id IN (SELECT id FROM win))
SELECT title, code FROM (SELECT code, ` + issueTitleSQL("code") + ` AS title FROM codes) t` + pred + `
ORDER BY code LIMIT ` + limit
	default:
		expr := dim(dimKinds[r.kind], "s")
		pred := ""
		if like != "" {
			pred = " WHERE v ILIKE " + like
		}
		sql = "WITH " + win() + `
SELECT v, v FROM (SELECT DISTINCT ` + expr + ` AS v FROM app_session s
  WHERE s.is_active AND s.conference_id IN (SELECT id FROM win)) d` + pred + `
ORDER BY v LIMIT ` + limit
	}
	rows, err := s.db.Query(ctx, sql, b.args...)
	if err != nil {
		return nil, sql, b.args, err
	}
	defer rows.Close()
	out := []Value{}
	for rows.Next() {
		var v Value
		if err := rows.Scan(&v.Text, &v.Value); err != nil {
			return nil, sql, b.args, err
		}
		out = append(out, v)
	}
	return out, sql, b.args, rows.Err()
}

// The variable query: the values of one kind in the dashboard's time range (on conference
// created_at), filters.search narrowing them, conferenceId choosing one conference (then the range
// does not apply), limit bounding them. Fields text and value.
func runVariable(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	r := valuesReq{kind: q.Variable, appID: q.AppID, search: q.Filters.Search, conferenceID: q.ConferenceID,
		limit: min(q.Limit, MaxValuesLimit), ranged: true, from: q.From, to: q.To}
	if err := r.validate(); err != nil {
		return nil, err
	}
	vals, sql, args, err := s.values(ctx, r)
	if err != nil {
		return nil, err
	}
	texts, values := make([]string, len(vals)), make([]string, len(vals))
	for i, v := range vals {
		texts[i], values[i] = v.Text, v.Value
	}
	f := data.NewFrame("variable",
		frames.Config(data.NewField("text", nil, texts), "Text", ""),
		frames.Config(data.NewField("value", nil, values), "Value", ""))
	frames.Meta(f, data.FrameTypeTable, data.VisTypeTable, sql, args)
	return data.Frames{f}, nil
}
