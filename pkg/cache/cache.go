package cache

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"time"
)

// Status says where a value came from.
type Status string

const (
	// Hit: a fresh entry (possibly written by another replica while this one waited for it).
	Hit Status = "hit"
	// Miss: computed by this call (or by a concurrent identical call in this process).
	Miss Status = "miss"
	// Stale: an expired entry inside its grace period, served while a refresh runs in the background.
	Stale Status = "stale"
)

// Defaults of Options.
const (
	DefaultLockTTL       = 10 * time.Second
	DefaultMaxEntryBytes = 8 << 20
	DefaultRefreshers    = 4
)

// Options configure a Cache. Zero values take the defaults.
type Options struct {
	// Now is the clock of soft expiries (injectable for tests).
	Now func() time.Time
	// LockTTL is how long a replica may hold the compute lock of a key, and how long the others wait
	// for its result before computing themselves.
	LockTTL time.Duration
	// MaxEntryBytes: larger values (after compression) are not stored.
	MaxEntryBytes int
	// Refreshers bounds the background refreshes of stale entries running at once.
	Refreshers int
	// RefreshTimeout bounds one background refresh (default 2 × LockTTL + 30 s).
	RefreshTimeout time.Duration
	// OnRefreshError is told when a background refresh fails (the stale value stays until its
	// hard expiry).
	OnRefreshError func(key string, err error)
}

// Policy is the lifetime of one value.
type Policy struct {
	// TTL: the value is fresh for this long.
	TTL time.Duration
	// Grace: after TTL the value may be served stale for this long while it is refreshed.
	Grace time.Duration
	// RefreshBelow (pre-warming): a fresh entry with less freshness left than this is recomputed
	// now instead of being returned, and no stale entry is served.
	RefreshBelow time.Duration
}

// Compute produces a value on a miss.
type Compute func(ctx context.Context) ([]byte, error)

// Cache is the front of a Backend. It is safe for concurrent use.
type Cache struct {
	b      Backend
	opts   Options
	flight Flight
	sem    chan struct{}
}

// New returns a cache over b.
func New(b Backend, opts Options) *Cache {
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.LockTTL <= 0 {
		opts.LockTTL = DefaultLockTTL
	}
	if opts.MaxEntryBytes <= 0 {
		opts.MaxEntryBytes = DefaultMaxEntryBytes
	}
	if opts.Refreshers <= 0 {
		opts.Refreshers = DefaultRefreshers
	}
	if opts.RefreshTimeout <= 0 {
		opts.RefreshTimeout = 2*opts.LockTTL + 30*time.Second
	}
	return &Cache{b: b, opts: opts, sem: make(chan struct{}, opts.Refreshers)}
}

// Backend is the store under the cache.
func (c *Cache) Backend() Backend { return c.b }

// Now is the cache's clock.
func (c *Cache) Now() time.Time { return c.opts.Now() }

type result struct {
	val    []byte
	status Status
}

// lookup reads an entry; a backend failure or an unreadable entry is a miss.
func (c *Cache) lookup(ctx context.Context, key string) (payload []byte, soft time.Time, ok bool) {
	raw, err := c.b.Get(ctx, key)
	if err != nil || raw == nil {
		return nil, time.Time{}, false
	}
	payload, soft, err = open(raw)
	return payload, soft, err == nil
}

// Do returns the value of key: a fresh entry, else a stale one inside its grace period (and a
// background refresh), else the result of compute, shared with every identical call in flight in
// this process and, through a lock in a shared backend, with the other replicas. Errors of compute
// are returned as they are and never stored; backend errors are never returned.
func (c *Cache) Do(ctx context.Context, key string, p Policy, compute Compute) ([]byte, Status, error) {
	now := c.opts.Now()
	payload, soft, ok := c.lookup(ctx, key)
	if ok {
		if p.RefreshBelow > 0 {
			if soft.Sub(now) >= p.RefreshBelow {
				return payload, Hit, nil
			}
		} else if now.Before(soft) {
			return payload, Hit, nil
		} else {
			c.refreshAsync(key, p, compute, soft)
			return payload, Stale, nil
		}
	}
	var minSoft time.Time
	if ok {
		minSoft = soft
	}
	v, err := c.flight.Do(ctx, key, func(ctx context.Context) (any, error) {
		return c.fill(ctx, key, p, compute, minSoft, false)
	})
	if err != nil {
		return nil, Miss, err
	}
	r := v.(result)
	return r.val, r.status, nil
}

// refreshAsync recomputes an expired entry in the background, at most opts.Refreshers at once
// (beyond that the refresh is skipped: a later request will try again).
func (c *Cache) refreshAsync(key string, p Policy, compute Compute, minSoft time.Time) {
	select {
	case c.sem <- struct{}{}:
	default:
		return
	}
	go func() {
		defer func() { <-c.sem }()
		ctx, cancel := context.WithTimeout(context.Background(), c.opts.RefreshTimeout)
		defer cancel()
		_, err := c.flight.Do(ctx, key, func(ctx context.Context) (any, error) {
			return c.fill(ctx, key, p, compute, minSoft, true)
		})
		if err != nil && c.opts.OnRefreshError != nil {
			c.opts.OnRefreshError(key, err)
		}
	}()
}

// fresher reports whether an entry with soft expiry soft is newer than minSoft and fresh now.
func (c *Cache) fresher(soft, minSoft time.Time) bool {
	return soft.After(minSoft) && c.opts.Now().Before(soft)
}

// fill computes key once across replicas: the holder of the lock computes and stores, the others
// wait for its value (or, for a background refresh, leave it to the holder).
func (c *Cache) fill(ctx context.Context, key string, p Policy, compute Compute, minSoft time.Time, background bool) (result, error) {
	// A concurrent call may have filled it between our lookup and our turn in the flight.
	if payload, soft, ok := c.lookup(ctx, key); ok && c.fresher(soft, minSoft) && soft.Sub(c.opts.Now()) >= p.RefreshBelow {
		return result{payload, Hit}, nil
	}
	lockKey := "lock:" + key
	token := newToken()
	locked, err := c.b.Lock(ctx, lockKey, token, c.opts.LockTTL)
	if err == nil && !locked {
		if background {
			return result{}, nil
		}
		if payload, ok := c.wait(ctx, key, lockKey, minSoft); ok {
			return result{payload, Hit}, nil
		}
		if ctx.Err() != nil {
			return result{}, ctx.Err()
		}
		// The holder did not deliver in time: compute ourselves (and try to hold the lock now).
		locked, _ = c.b.Lock(ctx, lockKey, token, c.opts.LockTTL)
	}
	if locked {
		defer func() {
			uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			defer cancel()
			_ = c.b.Unlock(uctx, lockKey, token)
		}()
	}
	val, err := compute(ctx)
	if err != nil {
		return result{}, err
	}
	c.Set(ctx, key, val, p)
	return result{val, Miss}, nil
}

// wait polls for a value newer than minSoft while another replica holds the lock, with backoff,
// up to LockTTL. It gives up early when the lock disappears without a value.
func (c *Cache) wait(ctx context.Context, key, lockKey string, minSoft time.Time) ([]byte, bool) {
	deadline := time.Now().Add(c.opts.LockTTL)
	delay := 5 * time.Millisecond
	for time.Now().Before(deadline) {
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, false
		case <-t.C:
		}
		vals, err := c.b.MGet(ctx, []string{key, lockKey})
		if err != nil {
			return nil, false
		}
		if vals[0] != nil {
			if payload, soft, err := open(vals[0]); err == nil && c.fresher(soft, minSoft) {
				return payload, true
			}
		}
		if vals[1] == nil {
			return nil, false
		}
		delay = min(delay*3/2, 100*time.Millisecond)
	}
	return nil, false
}

// Set stores a value with its policy: soft expiry TTL, hard expiry TTL + Grace. Values over the size
// bound are not stored. Backend errors are ignored (the backend reports them).
func (c *Cache) Set(ctx context.Context, key string, val []byte, p Policy) bool {
	sealed := seal(val, c.opts.Now().Add(p.TTL))
	if len(sealed) > c.opts.MaxEntryBytes {
		return false
	}
	return c.b.Set(context.WithoutCancel(ctx), key, sealed, p.TTL+p.Grace) == nil
}

// GetMany returns the values of the fresh entries among keys (nil elsewhere).
func (c *Cache) GetMany(ctx context.Context, keys []string) [][]byte {
	out := make([][]byte, len(keys))
	raw, err := c.b.MGet(ctx, keys)
	if err != nil {
		return out
	}
	now := c.opts.Now()
	for i, r := range raw {
		if r == nil {
			continue
		}
		if payload, soft, err := open(r); err == nil && now.Before(soft) {
			out[i] = payload
		}
	}
	return out
}

// SetMany stores several values with one policy, skipping those over the size bound.
func (c *Cache) SetMany(ctx context.Context, items map[string][]byte, p Policy) {
	sealed := make(map[string][]byte, len(items))
	soft := c.opts.Now().Add(p.TTL)
	for k, v := range items {
		if s := seal(v, soft); len(s) <= c.opts.MaxEntryBytes {
			sealed[k] = s
		}
	}
	_ = c.b.MSet(context.WithoutCancel(ctx), sealed, p.TTL+p.Grace)
}

// JSON caches any byte value (a resource or variable answer) under key for ttl, with a grace
// period of ttl, the same stampede protection as Do, and no status. key should come from Key with
// every input of the value (data source uid, settings version, scope, parameters).
func (c *Cache) JSON(ctx context.Context, key string, ttl time.Duration, compute Compute) ([]byte, error) {
	v, _, err := c.Do(ctx, key, Policy{TTL: ttl, Grace: ttl}, compute)
	return v, err
}

// TryLock takes a named lock (for work such as pre-warming that one replica at a time should do).
// It returns a token to Release or Extend with, or "" when another holder has it or the backend is
// unavailable (err is then set).
func (c *Cache) TryLock(ctx context.Context, name string, ttl time.Duration) (string, error) {
	token := newToken()
	ok, err := c.b.Lock(ctx, name, token, ttl)
	if err != nil || !ok {
		return "", err
	}
	return token, nil
}

// Release frees a lock taken with TryLock.
func (c *Cache) Release(ctx context.Context, name, token string) {
	_ = c.b.Unlock(ctx, name, token)
}

// Extend sets a new ttl on a held lock.
func (c *Cache) Extend(ctx context.Context, name, token string, ttl time.Duration) bool {
	ok, _ := c.b.Extend(ctx, name, token, ttl)
	return ok
}

func newToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
