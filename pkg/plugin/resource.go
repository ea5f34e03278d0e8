package plugin

import (
	"context"
	"net/http"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
)

// CallResource serves the editors' value lists (values/<kind>).
func (d *Datasource) CallResource(ctx context.Context, req *backend.CallResourceRequest, sender backend.CallResourceResponseSender) error {
	return sender.Send(&backend.CallResourceResponse{Status: http.StatusNotFound, Body: []byte(`{"message":"unknown resource"}`)})
}
