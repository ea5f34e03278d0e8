package testdb

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// RedisServer is a redis-server a test started itself, on a free loopback port without
// persistence, so that it may kill and restart it; the shared Redis is never touched.
type RedisServer struct {
	Port int
	args []string
	cmd  *exec.Cmd
}

// StartRedis starts the server with extra arguments (e.g. "--requirepass", "x"); it is killed when
// the test ends.
func StartRedis(tb testing.TB, extra ...string) *RedisServer {
	tb.Helper()
	for _, b := range []string{"redis-server", "redis-cli"} {
		if _, err := exec.LookPath(b); err != nil {
			if os.Getenv("CI") == "true" {
				tb.Fatalf("%s is not installed (apt-get install redis-server)", b)
			}
			tb.Skipf("%s is not installed", b)
		}
	}
	r := &RedisServer{Port: freePort(tb)}
	r.args = append([]string{"--port", fmt.Sprint(r.Port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
		"--dir", tb.TempDir(), "--protected-mode", "no"}, extra...)
	r.Start(tb)
	tb.Cleanup(r.Kill)
	return r
}

// Addr is host:port.
func (r *RedisServer) Addr() string { return fmt.Sprintf("127.0.0.1:%d", r.Port) }

// Start starts the server (again, after Kill) and waits until it accepts connections.
func (r *RedisServer) Start(tb testing.TB) {
	tb.Helper()
	r.cmd = exec.Command("redis-server", r.args...)
	if err := r.cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.DialTimeout("tcp", r.Addr(), 200*time.Millisecond); err == nil {
			_ = c.Close()
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	tb.Fatalf("redis-server on port %d did not start", r.Port)
}

// Kill ends the server by its pid (SIGKILL: a crash, not a shutdown) and waits for it.
func (r *RedisServer) Kill() {
	if r.cmd != nil && r.cmd.Process != nil {
		_ = r.cmd.Process.Kill()
		_ = r.cmd.Wait()
		r.cmd = nil
	}
}

// CLI runs redis-cli against the server and returns its trimmed output.
func (r *RedisServer) CLI(tb testing.TB, args ...string) string {
	tb.Helper()
	out, err := exec.Command("redis-cli", append([]string{"-p", fmt.Sprint(r.Port)}, args...)...).CombinedOutput()
	if err != nil {
		tb.Fatalf("redis-cli %v: %v %s", args, err, out)
	}
	return strings.TrimSpace(string(out))
}
