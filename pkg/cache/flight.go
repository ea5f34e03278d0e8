package cache

import (
	"context"
	"errors"
	"sync"

	"golang.org/x/sync/singleflight"
)

// Flight shares one computation per key among the callers in this process (its zero value is ready). Unlike a bare
// singleflight.Group, the computation does not run under the first caller's context: it runs under
// a context that is cancelled only when every caller waiting for it has gone, so one cancelled
// panel does not fail the others, and Grafana cancelling all of them cancels the database query.
type Flight struct {
	g     singleflight.Group
	mu    sync.Mutex
	calls map[string]*flightCall
}

type flightCall struct {
	ctx    context.Context
	cancel context.CancelFunc
	refs   int
}

func (f *Flight) join(ctx context.Context, key string) *flightCall {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.calls == nil {
		f.calls = map[string]*flightCall{}
	}
	c := f.calls[key]
	if c == nil {
		cctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
		c = &flightCall{ctx: cctx, cancel: cancel}
		f.calls[key] = c
	}
	c.refs++
	return c
}

func (f *Flight) leave(key string, c *flightCall) {
	f.mu.Lock()
	defer f.mu.Unlock()
	c.refs--
	if c.refs == 0 {
		c.cancel()
		if f.calls[key] == c {
			delete(f.calls, key)
		}
	}
}

// Do runs fn once for all concurrent callers of key.
func (f *Flight) Do(ctx context.Context, key string, fn func(ctx context.Context) (any, error)) (any, error) {
	for attempt := 0; ; attempt++ {
		c := f.join(ctx, key)
		ch := f.g.DoChan(key, func() (any, error) { return fn(c.ctx) })
		select {
		case r := <-ch:
			f.leave(key, c)
			// We joined a computation whose callers had all gone: it was cancelled, not us.
			if r.Err != nil && errors.Is(r.Err, context.Canceled) && ctx.Err() == nil && attempt < 3 {
				continue
			}
			return r.Val, r.Err
		case <-ctx.Done():
			f.leave(key, c)
			return nil, ctx.Err()
		}
	}
}
