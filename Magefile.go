//go:build mage

// Build and test targets. `go tool mage -l` lists them; `go tool mage test` is the README's test
// command and what .ci/run runs.
package main

import (
	"fmt"
	"net"
	"os"
	"runtime"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/build"
	"github.com/magefile/mage/mg"
	"github.com/magefile/mage/sh"
)

func init() {
	// plugin.json lives at the repository root, not in src/.
	_ = build.SetBeforeBuildCallback(func(cfg build.Config) (build.Config, error) {
		cfg.PluginJSONPath = "."
		return cfg, nil
	})
}

// Default builds the backend for this machine and the frontend.
var Default = Build

// Build builds the backend for this machine and the frontend into dist/.
func Build() {
	mg.SerialDeps(Frontend, Backend)
}

// Backend builds dist/gpx_peermetrics_<os>_<arch> for this machine with the SDK's build package.
func Backend() error {
	return build.Build{}.Custom(runtime.GOOS, runtime.GOARCH)
}

// BackendAll builds the backend for every platform Grafana runs on.
func BackendAll() {
	build.BuildAll()
}

// Frontend builds dist/module.js and dist/plugin.json with the Grafana plugin toolchain.
func Frontend() error {
	if _, err := os.Stat("node_modules"); err != nil {
		if err := sh.RunV("npm", "ci"); err != nil {
			return err
		}
	}
	return sh.RunV("npm", "run", "build")
}

// Test runs every test: Go (unit and integration against PostgreSQL and Redis on loopback, the
// gRPC test of the built binary), then the frontend's typecheck, lint, unit tests and build.
func Test() error {
	if err := Services(); err != nil {
		return err
	}
	mg.SerialDeps(GoTest, FrontendTest)
	return nil
}

// GoTest runs go vet and the Go tests (integration tests included).
func GoTest() error {
	if err := sh.RunV("go", "vet", "./pkg/...", "./cmd/..."); err != nil {
		return err
	}
	return sh.RunV("go", "test", "-count=1", "-timeout", "30m", "./pkg/...", "./cmd/...")
}

// FrontendTest runs the frontend's typecheck, lint, tests and production build.
func FrontendTest() error {
	if _, err := os.Stat("node_modules"); err != nil {
		if err := sh.RunV("npm", "ci"); err != nil {
			return err
		}
	}
	for _, script := range []string{"typecheck", "lint", "test:ci", "build"} {
		if err := sh.RunV("npm", "run", script); err != nil {
			return err
		}
	}
	return nil
}

// Services checks that PostgreSQL and Redis answer on loopback (or PM_TEST_* addresses).
func Services() error {
	pg := envOr("PM_TEST_PG_ADDR", "127.0.0.1:5432")
	rd := envOr("PM_TEST_REDIS_ADDR", "127.0.0.1:6379")
	for name, addr := range map[string]string{"PostgreSQL": pg, "Redis": rd} {
		c, err := net.DialTimeout("tcp", addr, 3*time.Second)
		if err != nil {
			return fmt.Errorf("%s is not reachable at %s: start it with `docker compose up -d postgres redis` (or your own server) and run again", name, addr)
		}
		_ = c.Close()
	}
	return nil
}

func envOr(k, def string) string {
	if v := os.Getenv(k); v != "" {
		return v
	}
	return def
}
