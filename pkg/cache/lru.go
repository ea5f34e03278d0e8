package cache

import (
	"container/list"
	"context"
	"sync"
	"time"
)

// DefaultLRUBytes is the default memory bound of the in-process cache.
const DefaultLRUBytes = 64 << 20

// entryOverhead approximates the bookkeeping bytes of one LRU entry beyond its key and value.
const entryOverhead = 96

// LRU is the in-process Backend used when no Redis is configured: least recently used entries are
// evicted once the bytes held (keys, values and bookkeeping) exceed the bound.
type LRU struct {
	mu       sync.Mutex
	maxBytes int64
	bytes    int64
	ll       *list.List
	items    map[string]*list.Element
	now      func() time.Time
}

type lruEntry struct {
	key     string
	val     []byte
	expires time.Time
}

// NewLRU returns an LRU bounded to maxBytes (DefaultLRUBytes when ≤ 0). now may be nil.
func NewLRU(maxBytes int64, now func() time.Time) *LRU {
	if maxBytes <= 0 {
		maxBytes = DefaultLRUBytes
	}
	if now == nil {
		now = time.Now
	}
	return &LRU{maxBytes: maxBytes, ll: list.New(), items: map[string]*list.Element{}, now: now}
}

func entrySize(key string, val []byte) int64 { return int64(len(key) + len(val) + entryOverhead) }

// Bytes is the memory currently accounted for.
func (l *LRU) Bytes() int64 {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.bytes
}

// Len is the number of entries held (expired ones included until they are touched or evicted).
func (l *LRU) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ll.Len()
}

func (l *LRU) get(key string) []byte {
	el, ok := l.items[key]
	if !ok {
		return nil
	}
	e := el.Value.(*lruEntry)
	if !l.now().Before(e.expires) {
		l.remove(el)
		return nil
	}
	l.ll.MoveToFront(el)
	return e.val
}

func (l *LRU) remove(el *list.Element) {
	e := el.Value.(*lruEntry)
	l.ll.Remove(el)
	delete(l.items, e.key)
	l.bytes -= entrySize(e.key, e.val)
}

func (l *LRU) set(key string, val []byte, ttl time.Duration) {
	size := entrySize(key, val)
	if el, ok := l.items[key]; ok {
		l.remove(el)
	}
	if size > l.maxBytes {
		return
	}
	el := l.ll.PushFront(&lruEntry{key: key, val: val, expires: l.now().Add(ttl)})
	l.items[key] = el
	l.bytes += size
	for l.bytes > l.maxBytes {
		l.remove(l.ll.Back())
	}
}

// Get implements Backend.
func (l *LRU) Get(_ context.Context, key string) ([]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.get(key), nil
}

// MGet implements Backend.
func (l *LRU) MGet(_ context.Context, keys []string) ([][]byte, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([][]byte, len(keys))
	for i, k := range keys {
		out[i] = l.get(k)
	}
	return out, nil
}

// Set implements Backend. The value is kept as given: callers must not modify it afterwards.
func (l *LRU) Set(_ context.Context, key string, val []byte, ttl time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.set(key, val, ttl)
	return nil
}

// MSet implements Backend.
func (l *LRU) MSet(_ context.Context, items map[string][]byte, ttl time.Duration) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	for k, v := range items {
		l.set(k, v, ttl)
	}
	return nil
}

// Lock implements Backend: locks live in the same map, so they expire and count like entries.
func (l *LRU) Lock(_ context.Context, key, token string, ttl time.Duration) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.get(key) != nil {
		return false, nil
	}
	l.set(key, []byte(token), ttl)
	return true, nil
}

// Unlock implements Backend.
func (l *LRU) Unlock(_ context.Context, key, token string) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if el, ok := l.items[key]; ok && string(el.Value.(*lruEntry).val) == token {
		l.remove(el)
	}
	return nil
}

// Extend implements Backend.
func (l *LRU) Extend(_ context.Context, key, token string, ttl time.Duration) (bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if v := l.get(key); v != nil && string(v) == token {
		l.items[key].Value.(*lruEntry).expires = l.now().Add(ttl)
		return true, nil
	}
	return false, nil
}

// Shared implements Backend: the LRU belongs to one process.
func (l *LRU) Shared() bool { return false }
