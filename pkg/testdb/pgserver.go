package testdb

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// PasswordServer is a private PostgreSQL instance that requires a password (scram-sha-256), for
// tests of authentication failures and of restarts: the shared test server trusts every
// loopback connection and must not be stopped.
type PasswordServer struct {
	Addr     string // 127.0.0.1:port
	User     string
	Password string
	dir      string
	extra    string
	tb       testing.TB
}

func pgBin(name string) (string, error) {
	matches, _ := filepath.Glob("/usr/lib/postgresql/*/bin/" + name)
	if len(matches) == 0 {
		if p, err := exec.LookPath(name); err == nil {
			return p, nil
		}
		return "", fmt.Errorf("%s not found", name)
	}
	return matches[len(matches)-1], nil
}

// asPostgres runs a server binary as the postgres OS user when the tests run as root (initdb and
// postgres refuse to run as root).
func asPostgres(bin string, args ...string) *exec.Cmd {
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err == nil {
			return exec.Command("runuser", append([]string{"-u", "postgres", "--", bin}, args...)...)
		}
	}
	return exec.Command(bin, args...)
}

// StartPasswordServer creates and starts the instance; it is stopped and removed when the test ends.
// extra are further server settings, such as "-c shared_preload_libraries=pg_stat_statements".
func StartPasswordServer(tb testing.TB, extra ...string) *PasswordServer {
	tb.Helper()
	initdb, err := pgBin("initdb")
	if err != nil {
		unavailable(tb, "initdb", err)
	}
	pgctl, _ := pgBin("pg_ctl")
	dir, err := os.MkdirTemp("", "pmpg")
	if err != nil {
		tb.Fatal(err)
	}
	_ = os.Chmod(dir, 0o777)
	data := filepath.Join(dir, "data")
	pwFile := filepath.Join(dir, "pw")
	s := &PasswordServer{User: "pmuser", Password: "s3cret-Pa55word!", dir: dir, tb: tb, extra: strings.Join(extra, " ")}
	if err := os.WriteFile(pwFile, []byte(s.Password+"\n"), 0o644); err != nil {
		tb.Fatal(err)
	}
	out, err := asPostgres(initdb, "-D", data, "-U", s.User, "--pwfile", pwFile, "--auth", "scram-sha-256", "-E", "UTF8").CombinedOutput()
	if err != nil {
		_ = os.RemoveAll(dir)
		unavailable(tb, "a private PostgreSQL (initdb)", fmt.Errorf("%v: %s", err, lastLine(out)))
	}
	port := freePort(tb)
	s.Addr = fmt.Sprintf("127.0.0.1:%d", port)
	opts := fmt.Sprintf("-p %d -k %s -c listen_addresses=127.0.0.1 -c fsync=off %s", port, dir, s.extra)
	if out, err := asPostgres(pgctl, "-D", data, "-o", opts, "-w", "-l", filepath.Join(dir, "log"), "start").CombinedOutput(); err != nil {
		_ = os.RemoveAll(dir)
		unavailable(tb, "a private PostgreSQL (pg_ctl start)", fmt.Errorf("%v: %s", err, lastLine(out)))
	}
	tb.Cleanup(func() {
		_ = asPostgres(pgctl, "-D", data, "-m", "immediate", "stop").Run()
		_ = os.RemoveAll(dir)
	})
	return s
}

// Stop stops the server (fast shutdown), keeping its data for Start.
func (s *PasswordServer) Stop() error {
	pgctl, _ := pgBin("pg_ctl")
	return asPostgres(pgctl, "-D", filepath.Join(s.dir, "data"), "-m", "fast", "-w", "stop").Run()
}

// Start starts a stopped server again on the same port.
func (s *PasswordServer) Start() error {
	pgctl, _ := pgBin("pg_ctl")
	_, port, _ := net.SplitHostPort(s.Addr)
	opts := fmt.Sprintf("-p %s -k %s -c listen_addresses=127.0.0.1 -c fsync=off %s", port, s.dir, s.extra)
	return asPostgres(pgctl, "-D", filepath.Join(s.dir, "data"), "-o", opts, "-w", "-l", filepath.Join(s.dir, "log"), "start").Run()
}

// URL connects to the given database on this server.
func (s *PasswordServer) URL(database string) string {
	return fmt.Sprintf("postgres://%s:%s@%s/%s?sslmode=disable", s.User, s.Password, s.Addr, database)
}

func freePort(tb testing.TB) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		tb.Fatal(err)
	}
	defer l.Close()
	// Give the port back; a short sleep makes an immediate reuse by another test unlikely.
	time.Sleep(10 * time.Millisecond)
	return l.Addr().(*net.TCPAddr).Port
}

func lastLine(b []byte) string {
	lines := strings.Split(strings.TrimSpace(string(b)), "\n")
	return lines[len(lines)-1]
}
