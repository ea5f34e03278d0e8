// Package store is the one place that knows the Peermetrics SQL. Each query type has a file that
// builds one parameterized statement, runs it in PostgreSQL (aggregation happens there, not in Go)
// and shapes the result into frames. Every statement carries the data source's scope, the query's
// filters and the soft-delete rules of peermetrics-schema.md; identifiers only ever come from the
// allowlists in this package.
package store

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/jackc/pgx/v5"

	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/settings"
)

// DB is what the store needs of a pgx pool (or a counting wrapper in tests). It must allow
// concurrent statements: one query may run two at once (the overview and its shared setup times).
type DB interface {
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// Scope is the set of apps a data source may read: listed app ids, an organization, both
// (their intersection) or neither (every app).
type Scope struct {
	AppIDs         []string
	OrganizationID string
}

// ErrForbidden is returned for a query that names an app outside the scope.
var ErrForbidden = errors.New("forbidden")

// Store runs queries for one data source.
type Store struct {
	db         DB
	scope      Scope
	thresholds settings.Thresholds
	shareFn    Share
	inflightFn Inflight
}

// Share runs compute once for every query that needs the same shared statement (name and q, whose
// range the caller has normalized) and returns its result; the plugin serves it from its cache like
// a query result, so that a dashboard's panels built on one statement run it once.
type Share func(ctx context.Context, name string, q query.Query, compute func(ctx context.Context) ([]byte, error)) ([]byte, error)

// Inflight runs load once for all concurrent callers of key in this process and hands each the
// same value, which they only read. It shares loads whose result is not worth caching (the stats
// samples of a conference, tens of MiB) between panels that run at the same time.
type Inflight func(ctx context.Context, key string, load func(ctx context.Context) (any, error)) (any, error)

// WithInflight sets how concurrent identical loads are shared; without it each query loads its own.
func (s *Store) WithInflight(fn Inflight) *Store {
	s.inflightFn = fn
	return s
}

// WithShare sets how shared statements are run; without it each query runs its own.
func (s *Store) WithShare(fn Share) *Store {
	s.shareFn = fn
	return s
}

func (s *Store) share(ctx context.Context, name string, q query.Query, compute func(ctx context.Context) ([]byte, error)) ([]byte, error) {
	if s.shareFn == nil {
		return compute(ctx)
	}
	return s.shareFn(ctx, name, q, compute)
}

// shareJSON is share for a result carried as JSON.
func shareJSON[T any](ctx context.Context, s *Store, name string, q query.Query, compute func(ctx context.Context) (T, error)) (T, error) {
	var v T
	raw, err := s.share(ctx, name, q, func(ctx context.Context) ([]byte, error) {
		v, err := compute(ctx)
		if err != nil {
			return nil, err
		}
		return json.Marshal(v)
	})
	if err != nil {
		return v, err
	}
	if err := json.Unmarshal(raw, &v); err != nil {
		return v, fmt.Errorf("shared %s: %w", name, err)
	}
	return v, nil
}

// New returns a store over db limited to scope.
func New(db DB, scope Scope, th settings.Thresholds) *Store {
	return &Store{db: db, scope: scope, thresholds: th}
}

type runner func(ctx context.Context, s *Store, q query.Query) (data.Frames, error)

// runners maps each query type to its statement; each query type's file registers itself.
var runners = map[string]runner{}

func register(queryType string, r runner) { runners[queryType] = r }

// Supports reports whether the query type is implemented.
func Supports(queryType string) bool { _, ok := runners[queryType]; return ok }

// Run executes one validated query.
func (s *Store) Run(ctx context.Context, q query.Query) (data.Frames, error) {
	run, ok := runners[q.QueryType]
	if !ok {
		return nil, fmt.Errorf("query type %q is not implemented yet", q.QueryType)
	}
	if err := s.CheckApp(ctx, q.AppID); err != nil {
		return nil, err
	}
	return run(ctx, s, q)
}

// CheckApp refuses an app id outside the scope. The scope is also inside every statement, so this
// check only turns an empty answer into a clear error.
func (s *Store) CheckApp(ctx context.Context, appID string) error {
	if appID == "" {
		return nil
	}
	if len(s.scope.AppIDs) > 0 && !slices.Contains(s.scope.AppIDs, appID) {
		return fmt.Errorf("%w: app %s is outside this data source's scope", ErrForbidden, appID)
	}
	if s.scope.OrganizationID != "" {
		var ok bool
		err := s.db.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM app WHERE id = $1 AND organization_id = $2)`,
			appID, s.scope.OrganizationID).Scan(&ok)
		if err != nil {
			return err
		}
		if !ok {
			return fmt.Errorf("%w: app %s is outside this data source's scope", ErrForbidden, appID)
		}
	}
	return nil
}

// sqlb collects positional arguments while a statement is written (for one query).
type sqlb struct {
	args  []any
	since string // sincePred's placeholder, once set
}

// p adds an argument and returns its placeholder.
func (b *sqlb) p(v any) string {
	b.args = append(b.args, v)
	return fmt.Sprintf("$%d", len(b.args))
}

// scopePred limits a conference alias to active apps in scope (and to the query's app).
func (b *sqlb) scopePred(c string, s Scope, appID string) string {
	conds := []string{"a.is_active"}
	if len(s.AppIDs) > 0 {
		conds = append(conds, "a.id = ANY("+b.p(s.AppIDs)+"::uuid[])")
	}
	if s.OrganizationID != "" {
		conds = append(conds, "a.organization_id = "+b.p(s.OrganizationID)+"::uuid")
	}
	if appID != "" {
		conds = append(conds, "a.id = "+b.p(appID)+"::uuid")
	}
	return c + ".app_id IN (SELECT a.id FROM app a WHERE " + strings.Join(conds, " AND ") + ")"
}

// rangePred is the half-open time range on an alias's created_at.
func (b *sqlb) rangePred(alias string, q query.Query) string {
	return fmt.Sprintf("%s.created_at >= %s AND %s.created_at < %s", alias, b.p(q.From), alias, b.p(q.To))
}

// childLead is how much earlier than its session a connection or issue may be stamped; see sincePred.
const childLead = 24 * time.Hour

// sincePred bounds from below the created_at of rows that belong to a session created in q's range
// (its connections and issues). The API stamps each row when it receives it, less the delay the SDK
// reports for it (a session is stamped utcnow - delta in the API's session view), so such a row is
// not older than the range's start by more than clock skew and a client's reported delay; childLead
// leaves a day for both, so the bound leaves out only rows whose client reported a longer delay (a
// known limit in the README). Without an index on created_at the table is still scanned, but joins,
// hashes and JSON tests then see the range's rows instead of every row of the table's history
// (funnel, pmbench cold p50 on seed30: 1 day 622-654 -> 262-330 ms, 7 days 781-863 -> 501-575 ms;
// 30 days, the whole table, unchanged).
func (b *sqlb) sincePred(alias string, q query.Query) string {
	if b.since == "" {
		b.since = b.p(q.From.Add(-childLead))
	}
	return alias + ".created_at >= " + b.since
}

func and(preds ...string) string {
	var out []string
	for _, p := range preds {
		if p != "" {
			out = append(out, p)
		}
	}
	if len(out) == 0 {
		return "true"
	}
	return strings.Join(out, " AND ")
}

func sprintf(format string, a ...any) string { return fmt.Sprintf(format, a...) }
