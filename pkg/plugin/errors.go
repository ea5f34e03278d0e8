package plugin

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/store"
)

// errorResponse maps an error to the status and error source Grafana shows and counts:
// the user's query and the database are downstream; anything else is the plugin's own fault.
func (d *Datasource) errorResponse(err error) backend.DataResponse {
	status, source, msg := d.classify(err)
	return backend.ErrDataResponseWithSource(status, source, msg)
}

func (d *Datasource) classify(err error) (backend.Status, backend.ErrorSource, string) {
	var pgErr *pgconn.PgError
	var netErr net.Error
	var connErr *pgconn.ConnectError
	switch {
	case query.IsError(err):
		return backend.StatusBadRequest, backend.ErrorSourceDownstream, err.Error()
	case errors.Is(err, store.ErrForbidden):
		return backend.StatusForbidden, backend.ErrorSourceDownstream, err.Error()
	case d.settingsErr != nil && errors.Is(err, d.settingsErr):
		return backend.StatusBadRequest, backend.ErrorSourceDownstream, "the data source settings are invalid: " + err.Error()
	case errors.Is(err, context.Canceled):
		return backend.StatusBadRequest, backend.ErrorSourceDownstream, "the query was cancelled"
	case errors.As(err, &pgErr) && pgErr.Code == "57014":
		return backend.StatusTimeout, backend.ErrorSourceDownstream,
			fmt.Sprintf("the query took longer than the %ds statement timeout of %s", d.settings.QueryTimeoutSeconds, d.hostDesc())
	case errors.Is(err, context.DeadlineExceeded):
		return backend.StatusTimeout, backend.ErrorSourceDownstream, "the query timed out waiting for " + d.hostDesc()
	case errors.As(err, &pgErr):
		return backend.StatusBadGateway, backend.ErrorSourceDownstream, fmt.Sprintf("%s answered with an error: %s (SQLSTATE %s)", d.hostDesc(), pgErr.Message, pgErr.Code)
	case errors.As(err, &connErr), errors.As(err, &netErr), isConnClosed(err):
		return backend.StatusBadGateway, backend.ErrorSourceDownstream, fmt.Sprintf("cannot reach %s: %s", d.hostDesc(), rootCause(err))
	default:
		return backend.StatusInternal, backend.ErrorSourcePlugin, err.Error()
	}
}

func isConnClosed(err error) bool {
	s := err.Error()
	return strings.Contains(s, "conn closed") || strings.Contains(s, "connection reset") || strings.Contains(s, "unexpected EOF")
}

// rootCause is the innermost error text: pgconn's wrapping repeats the host and user, which the
// message already names.
func rootCause(err error) string {
	for {
		u := errors.Unwrap(err)
		if u == nil {
			return err.Error()
		}
		err = u
	}
}
