package plugin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/peermetrics/grafana-datasource/pkg/schema"
)

const healthTimeout = 5 * time.Second

// CheckHealth is "Save & test" (SPEC §2): it connects, checks the Peermetrics tables and columns the
// plugin reads, checks that each scoped app exists, and pings Redis when one is configured. Each
// failure is one sentence naming the host, table or app, never a secret.
func (d *Datasource) CheckHealth(ctx context.Context, _ *backend.CheckHealthRequest) (*backend.CheckHealthResult, error) {
	fail := func(msg string) (*backend.CheckHealthResult, error) {
		return &backend.CheckHealthResult{Status: backend.HealthStatusError, Message: msg}, nil
	}
	if d.settingsErr != nil {
		return fail("The data source settings are invalid: " + d.settingsErr.Error())
	}
	ctx, cancel := context.WithTimeout(ctx, healthTimeout)
	defer cancel()
	pool, err := d.db()
	if err != nil {
		return fail(fmt.Sprintf("Cannot use %s: %s.", d.hostDesc(), err))
	}
	if err := pool.Ping(ctx); err != nil {
		return fail(d.connectProblem(err))
	}
	if msg, err := d.checkTables(ctx); err != nil {
		return fail(fmt.Sprintf("Cannot read the schema of %s: %s.", d.hostDesc(), rootCause(err)))
	} else if msg != "" {
		return fail(msg)
	}
	if msg, err := d.checkScope(ctx); err != nil {
		return fail(fmt.Sprintf("Cannot read the apps of %s: %s.", d.hostDesc(), rootCause(err)))
	} else if msg != "" {
		return fail(msg)
	}
	notes := []string{fmt.Sprintf("Connected to %s; the Peermetrics tables are present.", d.hostDesc())}
	if msg := d.checkRedis(ctx); msg != "" {
		return fail(msg)
	}
	if len(d.settings.RedisAddresses) > 0 {
		notes = append(notes, "Redis cache at "+strings.Join(d.settings.RedisAddresses, ", ")+" is reachable.")
	} else {
		notes = append(notes, "No Redis configured: results are cached in this Grafana process only.")
	}
	if !d.settings.Scoped() {
		notes = append(notes, "Warning: no apps or organization are set, so this data source reads every app in the database.")
	}
	return &backend.CheckHealthResult{Status: backend.HealthStatusOk, Message: strings.Join(notes, " ")}, nil
}

func (d *Datasource) connectProblem(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.Code {
		case "28P01", "28000":
			return fmt.Sprintf("%s rejected user %q: wrong password or no access (SQLSTATE %s).", d.hostDesc(), d.settings.User, pgErr.Code)
		case "3D000":
			return fmt.Sprintf("Database %q does not exist on PostgreSQL at %s.", d.settings.Database, d.settings.Host)
		}
		return fmt.Sprintf("%s refused the connection: %s (SQLSTATE %s).", d.hostDesc(), pgErr.Message, pgErr.Code)
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Sprintf("Cannot reach %s: no answer within %s.", d.hostDesc(), healthTimeout)
	}
	return fmt.Sprintf("Cannot reach %s: %s.", d.hostDesc(), rootCause(err))
}

// checkTables reports the first missing table or column the plugin reads.
func (d *Datasource) checkTables(ctx context.Context) (string, error) {
	pool, _ := d.db()
	rows, err := pool.Query(ctx, `SELECT table_name::text, column_name::text FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = ANY($1)`, tableNames())
	if err != nil {
		return "", err
	}
	defer rows.Close()
	have := map[string][]string{}
	for rows.Next() {
		var t, c string
		if err := rows.Scan(&t, &c); err != nil {
			return "", err
		}
		have[t] = append(have[t], c)
	}
	if err := rows.Err(); err != nil {
		return "", err
	}
	for _, t := range tableNames() {
		cols, ok := have[t]
		if !ok {
			return fmt.Sprintf("Table %s is missing from database %q at %s: is this the Peermetrics database, with its migrations applied?", t, d.settings.Database, d.settings.Host), nil
		}
		for _, c := range schema.Tables[t] {
			if !slices.Contains(cols, c) {
				return fmt.Sprintf("Table %s in database %q at %s has no column %s: the Peermetrics schema is older or newer than this plugin reads.", t, d.settings.Database, d.settings.Host, c), nil
			}
		}
	}
	return "", nil
}

func tableNames() []string {
	names := make([]string, 0, len(schema.Tables))
	for t := range schema.Tables {
		names = append(names, t)
	}
	sort.Strings(names)
	return names
}

// checkScope reports a scoped app or organization that does not exist (or is soft-deleted).
func (d *Datasource) checkScope(ctx context.Context) (string, error) {
	pool, _ := d.db()
	s := d.settings
	if s.OrganizationID != "" {
		var ok bool
		if err := pool.QueryRow(ctx, `SELECT EXISTS (SELECT 1 FROM organization WHERE id = $1 AND is_active)`, s.OrganizationID).Scan(&ok); err != nil {
			return "", err
		}
		if !ok {
			return fmt.Sprintf("Organization %s in the scope does not exist in database %q at %s.", s.OrganizationID, s.Database, s.Host), nil
		}
	}
	for _, app := range s.AppIDs {
		var exists bool
		var org string
		err := pool.QueryRow(ctx, `SELECT true, organization_id::text FROM app WHERE id = $1 AND is_active`, app).Scan(&exists, &org)
		if err != nil && !strings.Contains(err.Error(), "no rows") {
			return "", err
		}
		if !exists {
			return fmt.Sprintf("App %s in the scope does not exist in database %q at %s.", app, s.Database, s.Host), nil
		}
		if s.OrganizationID != "" && org != s.OrganizationID {
			return fmt.Sprintf("App %s in the scope belongs to another organization than %s, so this data source would show nothing for it.", app, s.OrganizationID), nil
		}
	}
	return "", nil
}
