// Package provisioningtest holds the end-to-end test of provisioning/: it loads every provisioned
// dashboard and alert rule, runs their queries through the built plugin binary over gRPC (the way
// Grafana calls it) against a generated `tiny` database, and checks that every panel gets data,
// that every link targets a provisioned dashboard and variable, and that every alert rule's frames
// are accepted by Grafana's server-side expressions. The package has no non-test code.
package provisioningtest
