package cache

import (
	"context"
	"errors"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisOptions tune the Redis backend. Zero values take the defaults.
type RedisOptions struct {
	// OpTimeout bounds every command (default 500 ms): a slow Redis must not slow queries down more
	// than that before they go to PostgreSQL.
	OpTimeout time.Duration
	// Cooldown is how long the backend is skipped after a failure (default 3 s); then one command
	// tries again, and success closes the breaker.
	Cooldown time.Duration
	// OnError is told about every failed command (op is get, mget, set, mset, lock, unlock, extend);
	// it is not called while the breaker is open.
	OnError func(op string, err error)
}

// Redis is the Backend over a go-redis UniversalClient: a single node, or a Cluster (where MGet and
// MSet are pipelines of single-key commands, so keys need not share a slot).
type Redis struct {
	c    redis.UniversalClient
	opts RedisOptions

	mu        sync.Mutex
	openUntil time.Time
}

// NewRedis wraps a client; the client is owned by the caller (who closes it).
func NewRedis(c redis.UniversalClient, opts RedisOptions) *Redis {
	if opts.OpTimeout <= 0 {
		opts.OpTimeout = 500 * time.Millisecond
	}
	if opts.Cooldown <= 0 {
		opts.Cooldown = 3 * time.Second
	}
	return &Redis{c: c, opts: opts}
}

// Client is the underlying client.
func (r *Redis) Client() redis.UniversalClient { return r.c }

// Open reports whether the breaker currently skips Redis.
func (r *Redis) Open() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return time.Now().Before(r.openUntil)
}

// do runs one command under the breaker and the operation timeout.
func (r *Redis) do(ctx context.Context, op string, fn func(ctx context.Context) error) error {
	if r.Open() {
		return ErrUnavailable
	}
	if ctx.Err() != nil {
		return ctx.Err()
	}
	cctx, cancel := context.WithTimeout(ctx, r.opts.OpTimeout)
	defer cancel()
	err := fn(cctx)
	if err == nil || errors.Is(err, redis.Nil) {
		return nil
	}
	// The caller going away is not Redis's fault.
	if ctx.Err() != nil {
		return ctx.Err()
	}
	r.mu.Lock()
	r.openUntil = time.Now().Add(r.opts.Cooldown)
	r.mu.Unlock()
	if r.opts.OnError != nil {
		r.opts.OnError(op, err)
	}
	return err
}

// Get implements Backend.
func (r *Redis) Get(ctx context.Context, key string) ([]byte, error) {
	var out []byte
	err := r.do(ctx, "get", func(ctx context.Context) error {
		b, err := r.c.Get(ctx, key).Bytes()
		if err == nil {
			out = b
		}
		return err
	})
	return out, err
}

// MGet implements Backend.
func (r *Redis) MGet(ctx context.Context, keys []string) ([][]byte, error) {
	out := make([][]byte, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	err := r.do(ctx, "mget", func(ctx context.Context) error {
		cmds := make([]*redis.StringCmd, len(keys))
		_, err := r.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for i, k := range keys {
				cmds[i] = p.Get(ctx, k)
			}
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return err
		}
		for i, c := range cmds {
			if b, err := c.Bytes(); err == nil {
				out[i] = b
			}
		}
		return nil
	})
	return out, err
}

// Set implements Backend.
func (r *Redis) Set(ctx context.Context, key string, val []byte, ttl time.Duration) error {
	return r.do(ctx, "set", func(ctx context.Context) error { return r.c.Set(ctx, key, val, ttl).Err() })
}

// MSet implements Backend.
func (r *Redis) MSet(ctx context.Context, items map[string][]byte, ttl time.Duration) error {
	if len(items) == 0 {
		return nil
	}
	return r.do(ctx, "mset", func(ctx context.Context) error {
		_, err := r.c.Pipelined(ctx, func(p redis.Pipeliner) error {
			for k, v := range items {
				p.Set(ctx, k, v, ttl)
			}
			return nil
		})
		return err
	})
}

// Lock implements Backend (SET NX PX).
func (r *Redis) Lock(ctx context.Context, key, token string, ttl time.Duration) (bool, error) {
	var ok bool
	err := r.do(ctx, "lock", func(ctx context.Context) error {
		var err error
		ok, err = r.c.SetNX(ctx, key, token, ttl).Result()
		return err
	})
	return ok, err
}

var unlockScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("DEL", KEYS[1]) end return 0`)

var extendScript = redis.NewScript(`if redis.call("GET", KEYS[1]) == ARGV[1] then return redis.call("PEXPIRE", KEYS[1], ARGV[2]) end return 0`)

// Unlock implements Backend.
func (r *Redis) Unlock(ctx context.Context, key, token string) error {
	return r.do(ctx, "unlock", func(ctx context.Context) error {
		return unlockScript.Run(ctx, r.c, []string{key}, token).Err()
	})
}

// Extend implements Backend.
func (r *Redis) Extend(ctx context.Context, key, token string, ttl time.Duration) (bool, error) {
	var ok bool
	err := r.do(ctx, "extend", func(ctx context.Context) error {
		n, err := extendScript.Run(ctx, r.c, []string{key}, token, ttl.Milliseconds()).Int64()
		ok = n == 1
		return err
	})
	return ok, err
}

// Shared implements Backend.
func (r *Redis) Shared() bool { return true }
