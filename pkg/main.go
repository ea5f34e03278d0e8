// Command gpx_peermetrics is the backend of the Peermetrics data source for Grafana.
package main

import (
	"os"

	"github.com/grafana/grafana-plugin-sdk-go/backend/datasource"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/peermetrics/grafana-datasource/pkg/plugin"
)

// PluginID is the id of plugin.json.
const PluginID = "peermetrics-webrtc-datasource"

func main() {
	if err := datasource.Manage(PluginID, plugin.NewDatasource, datasource.ManageOpts{}); err != nil {
		log.DefaultLogger.Error("plugin stopped", "error", err.Error())
		os.Exit(1)
	}
}
