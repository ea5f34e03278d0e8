// Package reliabilitytest holds the reliability and security tests of the data source (SPEC §7):
// bad input over the gRPC path, scope isolation between data sources, faults with real processes
// (PostgreSQL stopped and restarted, statement timeouts, cancellation, Redis killed, pool
// exhaustion), secret leaks and read-only sessions. It has no code of its own: everything is in the
// _test.go files, which start the built plugin binary as Grafana does.
//
// The tests run in CI in well under two minutes. PM_LONG=1 makes the load and fuzz-style loops
// longer; the fuzz targets run longer with `go test -fuzz FuzzJSONBReaders ./pkg/reliabilitytest/`.
package reliabilitytest
