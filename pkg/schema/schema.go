// Package schema holds the Peermetrics database schema (the API's migrations 0001-0004) as one SQL
// file. Tests, the generator and the benchmarks create their databases from it; the plugin only reads.
package schema

import _ "embed"

// SQL creates every Peermetrics table, constraint and index in an empty database.
//
//go:embed peermetrics.sql
var SQL string

// Tables lists each table the plugin reads with the columns it depends on. The health check verifies
// them, so a database from an older or newer Peermetrics release fails with a precise sentence.
var Tables = map[string][]string{
	"organization":     {"id", "is_active"},
	"app":              {"id", "name", "organization_id", "is_active", "created_at"},
	"conference":       {"id", "conference_id", "conference_name", "start_time", "end_time", "ongoing", "duration", "app_id", "created_at", "is_active"},
	"participant":      {"id", "participant_id", "participant_name", "is_sfu", "app_id", "is_active"},
	"app_session":      {"id", "conference_id", "participant_id", "platform", "geo_ip", "devices", "app_version", "webrtc_sdk", "duration", "end_time", "created_at", "is_active"},
	"app_connection":   {"id", "session_id", "conference_id", "participant_id", "peer_id", "type", "state", "connection_info", "duration", "created_at", "is_active"},
	"app_genericevent": {"id", "app_id", "conference_id", "session_id", "connection_id", "type", "category", "data", "created_at", "is_active"},
	"app_issue":        {"id", "session_id", "conference_id", "connection_id", "type", "code", "data", "created_at", "is_active"},
	"summary":          {"id", "conference_id", "status", "data", "is_active"},
}
