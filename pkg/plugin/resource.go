package plugin

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/backend"

	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/settings"
	"github.com/peermetrics/grafana-datasource/pkg/store"
)

// maxResourceBody bounds a resource request's body; values/<kind> needs none.
const maxResourceBody = 64 << 10

// CallResource serves the editors' value lists: GET values/<kind> with the query parameters appId,
// search, conferenceId and limit (1 to store.MaxValuesLimit, default 100) answers a JSON list of
// {text, value} (store.Values: scoped, bounded by recent data). Errors are JSON {"message": ...}:
// 400 for a bad parameter, 403 for an app outside the scope, 404 for an unknown path or kind, 405
// for a method other than GET, 413 for a body over 64 KiB; database problems as in queries,
// naming the host, never a credential.
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	status, body := d.resource(ctx, req)
	return sender.Send(&backend.CallResourceResponse{
		Status:  status,
		Headers: map[string][]string{"Content-Type": {"application/json"}},
		Body:    body,
	})
}

func (d *Datasource) resource(ctx context.Context, req *backend.CallResourceRequest) (int, []byte) {
	if len(req.Body) > maxResourceBody {
		return jsonError(http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is larger than %d KiB", maxResourceBody>>10))
	}
	path := strings.Trim(req.Path, "/")
	kind, ok := strings.CutPrefix(path, "values/")
	if !ok || kind == "" || strings.Contains(kind, "/") {
		return jsonError(http.StatusNotFound, "unknown resource; the only resource is values/<kind>")
	}
	if !slices.Contains(query.VariableKinds, kind) {
		return jsonError(http.StatusNotFound, fmt.Sprintf("unknown value kind %q (one of %s)", kind, strings.Join(query.VariableKinds, ", ")))
	}
	if req.Method != "" && req.Method != http.MethodGet {
		return jsonError(http.StatusMethodNotAllowed, "values/"+kind+" answers GET only")
	}
	params, err := resourceParams(req.URL)
	if err != nil {
		return jsonError(http.StatusBadRequest, "the query string cannot be parsed")
	}
	appID := strings.ToLower(strings.TrimSpace(params.Get("appId")))
	search := strings.TrimSpace(params.Get("search"))
	conferenceID := strings.TrimSpace(params.Get("conferenceId"))
	limit := query.DefaultLimit
	switch {
	case appID != "" && !settings.IsUUID(appID):
		return jsonError(http.StatusBadRequest, "appId must be a uuid")
	case len(search) > 200:
		return jsonError(http.StatusBadRequest, "search must be at most 200 characters")
	case len(conferenceID) > 64:
		return jsonError(http.StatusBadRequest, "conferenceId must be at most 64 characters")
	}
	if raw := strings.TrimSpace(params.Get("limit")); raw != "" {
		n, err := strconv.Atoi(raw)
		if err != nil || n < 1 || n > store.MaxValuesLimit {
			return jsonError(http.StatusBadRequest, fmt.Sprintf("limit must be a whole number between 1 and %d", store.MaxValuesLimit))
		}
		limit = n
	}
	st, err := d.store()
	if err != nil {
		return d.resourceError(err)
	}
	vals, err := st.Values(ctx, kind, appID, search, conferenceID, limit)
	if err != nil {
		return d.resourceError(err)
	}
	b, err := json.Marshal(vals)
	if err != nil {
		return jsonError(http.StatusInternalServerError, "cannot encode the values")
	}
	return http.StatusOK, b
}

// resourceParams reads the query string of a resource URL (a path with a query, or a full URL).
func resourceParams(raw string) (url.Values, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, err
	}
	return url.ParseQuery(u.RawQuery)
}

// resourceError maps an error like a query's (errors.go), with the store's values errors as 400/404.
func (d *Datasource) resourceError(err error) (int, []byte) {
	switch {
	case errors.Is(err, store.ErrUnknownValueKind):
		return jsonError(http.StatusNotFound, err.Error())
	case errors.Is(err, store.ErrBadValuesRequest):
		return jsonError(http.StatusBadRequest, err.Error())
	}
	status, _, msg := d.classify(err)
	return jsonError(int(status), msg)
}

func jsonError(status int, msg string) (int, []byte) {
	b, _ := json.Marshal(map[string]string{"message": msg})
	return status, b
}
