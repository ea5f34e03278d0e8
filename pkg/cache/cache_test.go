package cache

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/redis/go-redis/v9"

	"github.com/peermetrics/grafana-datasource/pkg/testdb"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

func sampleFrames(rows int) data.Frames {
	t0 := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	times := make([]time.Time, rows)
	vals := make([]*float64, rows)
	counts := make([]int64, rows)
	names := make([]string, rows)
	for i := range rows {
		times[i] = t0.Add(time.Duration(i) * time.Minute)
		if i%3 != 0 {
			v := float64(i) * 1.5
			vals[i] = &v
		}
		counts[i] = int64(i)
		names[i] = fmt.Sprintf("name-%d", i)
	}
	f := data.NewFrame("series",
		data.NewField("time", nil, times),
		data.NewField("value", data.Labels{"browser": "Firefox", "country": "DE"}, vals),
		data.NewField("count", nil, counts),
		data.NewField("name", nil, names),
	)
	f.Fields[1].Config = &data.FieldConfig{DisplayNameFromDS: "Firefox", Unit: "ms",
		Links: []data.DataLink{{Title: "Conferences", URL: "/d/peermetrics-conferences?var-browser=Firefox&${__url_time_range}"}}}
	f.Meta = &data.FrameMeta{Type: data.FrameTypeTimeSeriesWide, TypeVersion: data.FrameTypeVersion{0, 1},
		ExecutedQueryString: "SELECT 1 -- arguments: $1=x", PreferredVisualization: data.VisTypeGraph,
		Custom:  map[string]any{"bucketSeconds": float64(60)},
		Notices: []data.Notice{{Severity: data.NoticeSeverityWarning, Text: "legacy rows skipped"}}}
	g := data.NewFrame("table", data.NewField("code", nil, []string{"a", "b"}), data.NewField("n", nil, []*int64{nil, new(int64)}))
	return data.Frames{f, g}
}

func framesJSON(t *testing.T, fs data.Frames) string {
	t.Helper()
	b, err := json.Marshal(fs)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEncodeFramesRoundTrip: frames come back exactly (values, nulls, labels, links, meta), also
// through the compressed envelope.
func TestEncodeFramesRoundTrip(t *testing.T) {
	for _, rows := range []int{0, 5, 5000} {
		fs := sampleFrames(rows)
		b, err := EncodeFrames(fs)
		if err != nil {
			t.Fatal(err)
		}
		sealed := seal(b, time.UnixMilli(12345))
		if rows == 5000 && (sealed[1]&flagZstd == 0 || len(sealed) >= len(b)) {
			t.Errorf("large value not compressed: %d -> %d bytes", len(b), len(sealed))
		}
		payload, soft, err := open(sealed)
		if err != nil || soft.UnixMilli() != 12345 || !bytes.Equal(payload, b) {
			t.Fatalf("envelope round trip failed: %v", err)
		}
		got, err := DecodeFrames(payload)
		if err != nil {
			t.Fatal(err)
		}
		if want, have := framesJSON(t, fs), framesJSON(t, got); want != have {
			t.Errorf("rows=%d: decoded frames differ\nwant %s\nhave %s", rows, want[:min(len(want), 600)], have[:min(len(have), 600)])
		}
		if got[0].Fields[1].Labels["browser"] != "Firefox" || got[0].Fields[1].Config.Links[0].Title != "Conferences" {
			t.Errorf("labels or links lost")
		}
	}
	if _, err := DecodeFrames([]byte{5, 1}); err == nil {
		t.Error("garbage decoded")
	}
	if _, _, err := open([]byte("short")); err == nil {
		t.Error("garbage opened")
	}
}

func TestKeyLayout(t *testing.T) {
	a, b := Key("q", "ab", "c"), Key("q", "a", "bc")
	if a == b {
		t.Error("length prefix missing: parts collide")
	}
	if !strings.HasPrefix(a, "pm:v1:q:") || len(a) != len("pm:v1:q:")+64 {
		t.Errorf("key %q", a)
	}
}

// TestLRUMemoryBound: the LRU never holds more than its bound, evicts the least recently used
// entry, refuses entries larger than the bound and expires entries on its clock.
func TestLRUMemoryBound(t *testing.T) {
	ctx := context.Background()
	clk := &clock{t: time.Unix(1000, 0)}
	l := NewLRU(10_000, clk.Now)
	val := make([]byte, 1000)
	for i := range 30 {
		_ = l.Set(ctx, fmt.Sprint("k", i), val, time.Minute)
		if i == 5 {
			_, _ = l.Get(ctx, "k0") // k0 is now recently used
		}
		if l.Bytes() > 10_000 {
			t.Fatalf("LRU holds %d bytes over its bound", l.Bytes())
		}
	}
	if v, _ := l.Get(ctx, "k1"); v != nil {
		t.Error("least recently used entry not evicted")
	}
	if v, _ := l.Get(ctx, "k29"); v == nil {
		t.Error("newest entry evicted")
	}
	_ = l.Set(ctx, "huge", make([]byte, 20_000), time.Minute)
	if v, _ := l.Get(ctx, "huge"); v != nil {
		t.Error("entry larger than the bound stored")
	}
	clk.Add(2 * time.Minute)
	if v, _ := l.Get(ctx, "k29"); v != nil {
		t.Error("expired entry returned")
	}
	ok, _ := l.Lock(ctx, "lock", "a", time.Second)
	ok2, _ := l.Lock(ctx, "lock", "b", time.Second)
	if !ok || ok2 {
		t.Errorf("lock: %v %v", ok, ok2)
	}
	_ = l.Unlock(ctx, "lock", "b")
	if ok, _ := l.Lock(ctx, "lock", "c", time.Second); ok {
		t.Error("unlock with the wrong token released the lock")
	}
}

// TestDoSharesOneComputation: 50 concurrent identical cold calls compute once; the rest wait.
func TestDoSharesOneComputation(t *testing.T) {
	c := New(NewLRU(0, nil), Options{})
	var calls atomic.Int32
	compute := func(ctx context.Context) ([]byte, error) {
		calls.Add(1)
		time.Sleep(50 * time.Millisecond)
		return []byte("v"), nil
	}
	var wg sync.WaitGroup
	for range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			v, _, err := c.Do(context.Background(), "k", Policy{TTL: time.Minute}, compute)
			if err != nil || string(v) != "v" {
				t.Errorf("Do = %q, %v", v, err)
			}
		}()
	}
	wg.Wait()
	if calls.Load() != 1 {
		t.Errorf("computed %d times, want 1", calls.Load())
	}
	if _, st, _ := c.Do(context.Background(), "k", Policy{TTL: time.Minute}, compute); st != Hit {
		t.Errorf("status %s, want hit", st)
	}
}

// TestDoCancelledCallerDoesNotFailOthers: the first caller giving up does not cancel the shared
// computation for a second caller still waiting.
func TestDoCancelledCallerDoesNotFailOthers(t *testing.T) {
	c := New(NewLRU(0, nil), Options{})
	started := make(chan struct{})
	compute := func(ctx context.Context) ([]byte, error) {
		close(started)
		select {
		case <-time.After(200 * time.Millisecond):
			return []byte("v"), nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	ctx1, cancel1 := context.WithCancel(context.Background())
	go func() { _, _, _ = c.Do(ctx1, "k", Policy{TTL: time.Minute}, compute) }()
	<-started
	done := make(chan error)
	go func() {
		_, _, err := c.Do(context.Background(), "k", Policy{TTL: time.Minute}, compute)
		done <- err
	}()
	time.Sleep(20 * time.Millisecond)
	cancel1()
	if err := <-done; err != nil {
		t.Fatalf("second caller failed: %v", err)
	}
}

// TestStaleWhileRevalidate: after the soft expiry the old value is served once as stale while one
// background refresh runs; then the new value is a hit. Errors are never cached.
func TestStaleWhileRevalidate(t *testing.T) {
	clk := &clock{t: time.Unix(1_000_000, 0)}
	c := New(NewLRU(0, clk.Now), Options{Now: clk.Now})
	var calls atomic.Int32
	compute := func(ctx context.Context) ([]byte, error) {
		n := calls.Add(1)
		return []byte(fmt.Sprint("v", n)), nil
	}
	p := Policy{TTL: time.Minute, Grace: time.Minute}
	ctx := context.Background()
	if v, st, _ := c.Do(ctx, "k", p, compute); st != Miss || string(v) != "v1" {
		t.Fatalf("first: %s %s", v, st)
	}
	clk.Add(90 * time.Second)
	if v, st, _ := c.Do(ctx, "k", p, compute); st != Stale || string(v) != "v1" {
		t.Fatalf("after soft expiry: %s %s, want stale v1", v, st)
	}
	deadline := time.Now().Add(2 * time.Second)
	for calls.Load() < 2 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	time.Sleep(20 * time.Millisecond)
	if v, st, _ := c.Do(ctx, "k", p, compute); st != Hit || string(v) != "v2" {
		t.Fatalf("after refresh: %s %s, want hit v2", v, st)
	}
	clk.Add(3 * time.Minute) // past the grace: a plain miss
	if v, st, _ := c.Do(ctx, "k", p, compute); st != Miss || string(v) != "v3" {
		t.Fatalf("after hard expiry: %s %s", v, st)
	}
	boom := errors.New("boom")
	if _, _, err := c.Do(ctx, "e", p, func(context.Context) ([]byte, error) { return nil, boom }); !errors.Is(err, boom) {
		t.Fatal(err)
	}
	if _, st, _ := c.Do(ctx, "e", p, compute); st != Miss {
		t.Error("an error was cached")
	}
}

// TestOversizedNotStored: values over MaxEntryBytes are returned but not cached.
func TestOversizedNotStored(t *testing.T) {
	c := New(NewLRU(0, nil), Options{MaxEntryBytes: 1000})
	big := make([]byte, 5000)
	r := rand.New(rand.NewPCG(1, 2)) // incompressible bytes
	for i := range big {
		big[i] = byte(r.Uint32())
	}
	compute := func(context.Context) ([]byte, error) { return big, nil }
	for range 2 {
		if v, st, _ := c.Do(context.Background(), "k", Policy{TTL: time.Minute}, compute); st != Miss || len(v) != 5000 {
			t.Fatalf("status %s len %d", st, len(v))
		}
	}
}

func redisClient(t *testing.T, addr string) redis.UniversalClient {
	t.Helper()
	c := redis.NewUniversalClient(&redis.UniversalOptions{Addrs: []string{addr}, ReadTimeout: 500 * time.Millisecond})
	t.Cleanup(func() { _ = c.Close() })
	return c
}

// TestRedisLockAcrossProcesses: two caches (two replicas) over one Redis, 50 concurrent cold calls
// split between them: one computation in all.
func TestRedisLockAcrossProcesses(t *testing.T) {
	addr := testdb.RequireRedis(t)
	a := New(NewRedis(redisClient(t, addr), RedisOptions{}), Options{})
	b := New(NewRedis(redisClient(t, addr), RedisOptions{}), Options{})
	key := Key("test", t.Name(), fmt.Sprint(time.Now().UnixNano()))
	var calls atomic.Int32
	compute := func(context.Context) ([]byte, error) {
		calls.Add(1)
		time.Sleep(100 * time.Millisecond)
		return []byte("v"), nil
	}
	var wg sync.WaitGroup
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c := a
			if i%2 == 1 {
				c = b
			}
			if v, _, err := c.Do(context.Background(), key, Policy{TTL: time.Minute}, compute); err != nil || string(v) != "v" {
				t.Errorf("Do = %q %v", v, err)
			}
		}()
	}
	wg.Wait()
	if calls.Load() != 1 {
		t.Errorf("computed %d times across two replicas, want 1", calls.Load())
	}
}

// TestRedisUnreachable: a Redis that is down costs little, opens the breaker and every call still
// computes its value.
func TestRedisUnreachable(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	_ = l.Close()
	var errs atomic.Int32
	r := NewRedis(redisClient(t, addr), RedisOptions{OnError: func(string, error) { errs.Add(1) }})
	c := New(r, Options{})
	start := time.Now()
	for i := range 20 {
		v, st, err := c.Do(context.Background(), fmt.Sprint("k", i), Policy{TTL: time.Minute}, func(context.Context) ([]byte, error) { return []byte("v"), nil })
		if err != nil || string(v) != "v" || st != Miss {
			t.Fatalf("Do = %q %s %v", v, st, err)
		}
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("20 calls with Redis down took %s", d)
	}
	if !r.Open() || errs.Load() == 0 || errs.Load() > 3 {
		t.Errorf("breaker open=%v after %d reported errors", r.Open(), errs.Load())
	}
}
