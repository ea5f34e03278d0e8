// Package cache is the result cache of SPEC §5: a Backend (Redis, single node or Cluster, shared by
// every Grafana replica; or a memory-bounded in-process LRU), and a Cache in front of it that adds
// stale-while-revalidate, stampede protection (one computation per key inside a process through
// singleflight, and across processes through a short Redis lock), compact values (compressed when
// large, refused when too large) and frame encoding. A Backend failure never fails a caller: the
// value is computed as if nothing were cached.
package cache

import (
	"context"
	"errors"
	"time"
)

// Backend stores opaque values under keys with a time to live. A missing key is (nil, nil).
// Implementations must be safe for concurrent use.
type Backend interface {
	Get(ctx context.Context, key string) ([]byte, error)
	// MGet returns one entry per key, nil where the key is missing.
	MGet(ctx context.Context, keys []string) ([][]byte, error)
	Set(ctx context.Context, key string, val []byte, ttl time.Duration) error
	// MSet stores several values with one TTL (a pipeline on Redis).
	MSet(ctx context.Context, items map[string][]byte, ttl time.Duration) error
	// Lock sets key to token if it is absent, for ttl (SET NX PX); true when this caller holds it.
	Lock(ctx context.Context, key, token string, ttl time.Duration) (bool, error)
	// Unlock deletes key if it still holds token.
	Unlock(ctx context.Context, key, token string) error
	// Extend sets a new ttl on key if it still holds token.
	Extend(ctx context.Context, key, token string, ttl time.Duration) (bool, error)
	// Shared reports whether other processes see the same entries (Redis) or not (the LRU).
	Shared() bool
}

// ErrUnavailable is returned while the circuit breaker keeps a failing backend out of the way.
var ErrUnavailable = errors.New("cache backend unavailable")
