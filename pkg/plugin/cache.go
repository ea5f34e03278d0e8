package plugin

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend/log"
	"github.com/grafana/grafana-plugin-sdk-go/data"
	"golang.org/x/sync/errgroup"

	"github.com/peermetrics/grafana-datasource/pkg/cache"
	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
	"github.com/peermetrics/grafana-datasource/pkg/store"
)

// Cache rules of SPEC §5.
const (
	// defaultGrain aligns the range of queries without buckets.
	defaultGrain = time.Minute
	// bucketLateness: a bucket is complete (cached on its own, with the historic TTL) once its end is
	// this far in the past, leaving time for late rows.
	bucketLateness = 2 * time.Minute
	// liveWindow: a range ending later than now − liveWindow uses the live TTL.
	liveWindow = time.Hour
	// maxCachedBuckets: longer series are cached as a whole only.
	maxCachedBuckets = 5000
	// cacheErrorLogEvery rate-limits the log line about Redis failures.
	cacheErrorLogEvery = 30 * time.Second
)

// bucketSteps are the query types whose frames are time series with a step derived from the query;
// their range is aligned to the step and they are cached per completed bucket.
var bucketSteps = map[string]func(query.Query) time.Duration{
	query.TypeConferenceStatus: store.StatusStep,
	query.TypeTimeseries:       store.TimeseriesStep,
	query.TypeQuality:          store.TimeseriesStep,
}

// plan is a query after normalization.
type plan struct {
	q    query.Query // From/To aligned; Interval = step for bucketed types
	step time.Duration
}

// alignDown is the start of the step-long bucket, counted from the Unix epoch (as date_bin does in
// the store), that holds t.
func alignDown(t time.Time, step time.Duration) time.Time {
	sec := int64(step / time.Second)
	if sec <= 0 {
		return t
	}
	u := t.Unix()
	b := u / sec * sec
	if u < 0 && u%sec != 0 {
		b -= sec
	}
	return time.Unix(b, 0).UTC()
}

func alignUp(t time.Time, step time.Duration) time.Time {
	d := alignDown(t, step)
	if d.Before(t) {
		d = d.Add(step)
	}
	return d
}

// normalize aligns the range (From down, To up) to the grain: the bucket step for time series,
// defaultGrain otherwise. The step depends on the range, which alignment widens, so it is iterated
// to a fixed point (steps only grow, so this ends at once in practice).
func normalize(q query.Query) plan {
	stepOf, bucketed := bucketSteps[q.QueryType]
	if !bucketed {
		n := q
		n.From, n.To = alignDown(q.From, defaultGrain), alignUp(q.To, defaultGrain)
		return plan{q: n}
	}
	n := q
	step := stepOf(q)
	for range 5 {
		n = q
		n.From, n.To = alignDown(q.From, step), alignUp(q.To, step)
		n.Interval = step
		next := stepOf(n)
		if next == step {
			break
		}
		step = next
	}
	return plan{q: n, step: step}
}

// baseKey is every input of a result except the range: format version (inside cache.Key), data
// source uid and settings version, scope and thresholds, query type, the canonical query, the step.
func (d *Datasource) baseKey(p plan) []string {
	s := d.settings
	apps := slices.Clone(s.AppIDs)
	slices.Sort(apps)
	parts := []string{
		s.UID, strconv.FormatInt(s.Updated.UnixNano(), 10),
		"apps=" + strings.Join(apps, ","), "org=" + s.OrganizationID,
		fmt.Sprintf("th=%g/%g/%g/%g", s.Thresholds.LossPct, s.Thresholds.RTTMs, s.Thresholds.JitterMs, s.Thresholds.MOS),
		p.q.QueryType, string(p.q.Canonical()), "step=" + strconv.FormatInt(int64(p.step/time.Second), 10),
	}
	return parts
}

func rangeKey(kind string, base []string, from, to time.Time) string {
	return cache.Key(kind, append(slices.Clone(base), strconv.FormatInt(from.Unix(), 10), strconv.FormatInt(to.Unix(), 10))...)
}

// policy applies the TTL rule: a range touching the last hour is live, an older one historic.
// Expired entries may be served stale for one live TTL while they are refreshed.
func (d *Datasource) policy(to time.Time) cache.Policy {
	live := time.Duration(d.settings.CacheLiveTTLSeconds) * time.Second
	ttl := time.Duration(d.settings.CacheHistoricTTLSeconds) * time.Second
	if to.After(d.now().Add(-liveWindow)) {
		ttl = live
	}
	return cache.Policy{TTL: ttl, Grace: live}
}

func (d *Datasource) historicPolicy() cache.Policy {
	return cache.Policy{
		TTL:   time.Duration(d.settings.CacheHistoricTTLSeconds) * time.Second,
		Grace: time.Duration(d.settings.CacheLiveTTLSeconds) * time.Second,
	}
}

var errEncode = errors.New("frames cannot be encoded for the cache")

// cachedRun answers a validated query through the cache: normalized range, key, hit, stale or
// miss (per bucket for time series), and frames annotated with the range they cover.
func (d *Datasource) cachedRun(ctx context.Context, st *store.Store, q query.Query, refreshBelow time.Duration) (data.Frames, cache.Status, error) {
	p := normalize(q)
	base := d.baseKey(p)
	pol := d.policy(p.q.To)
	pol.RefreshBelow = refreshBelow
	compute := func(ctx context.Context) ([]byte, error) {
		fs, err := d.compute(ctx, st, p, base)
		if err != nil {
			return nil, err
		}
		b, err := cache.EncodeFrames(fs)
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errEncode, err)
		}
		return b, nil
	}
	b, status, err := d.cache.Do(ctx, rangeKey("q", base, p.q.From, p.q.To), pol, compute)
	var fs data.Frames
	if err == nil {
		fs, err = cache.DecodeFrames(b)
		if err != nil {
			err = fmt.Errorf("%w: %v", errEncode, err)
		}
	}
	if errors.Is(err, errEncode) {
		log.DefaultLogger.FromContext(ctx).Warn("query result not cacheable", "queryType", q.QueryType, "error", err.Error())
		status = cache.Miss
		fs, err = d.compute(ctx, st, p, base)
	}
	if err != nil {
		return nil, status, err
	}
	annotate(fs, p.q.From, p.q.To, status)
	for _, f := range fs {
		f.RefID = q.RefID
	}
	return fs, status, nil
}

// compute runs the store on the normalized query, per bucket for time series.
func (d *Datasource) compute(ctx context.Context, st *store.Store, p plan, base []string) (data.Frames, error) {
	var fs data.Frames
	var err error
	if p.step > 0 {
		fs, err = d.computeBuckets(ctx, st, p, base)
	} else {
		fs, err = st.Run(ctx, p.q)
	}
	if err != nil && isDBError(err) {
		metricDBErrors.Inc()
	}
	return fs, err
}

func isDBError(err error) bool {
	return !query.IsError(err) && !errors.Is(err, store.ErrForbidden) && !errors.Is(err, context.Canceled) &&
		!errors.Is(err, store.ErrMetricNotImplemented)
}

// computeBuckets loads the completed buckets of a time series from the cache and runs the store only
// on the range from the first to the last bucket that is missing or still changing, then merges both
// by time. Completed buckets computed now are stored for the next load. Where the store's cost grows
// with the range and not per statement (chunkSpan), that range runs as chunks of one UTC day, two at a time,
// each stored as soon as it ends and skipped when all its buckets are cached: no chunk nears the
// statement timeout, and a load (or a pre-warm cycle) cut short still leaves its finished days behind.
func (d *Datasource) computeBuckets(ctx context.Context, st *store.Store, p plan, base []string) (data.Frames, error) {
	step := p.step
	n := int(p.q.To.Sub(p.q.From) / step)
	if n <= 0 || n > maxCachedBuckets {
		return st.Run(ctx, p.q)
	}
	cutoff := d.now().Add(-bucketLateness)
	starts := make([]time.Time, n)
	keys := make([]string, n)
	var completeKeys []string
	var completeIdx []int
	for i := range starts {
		starts[i] = p.q.From.Add(time.Duration(i) * step)
		keys[i] = rangeKey("b", base, starts[i], starts[i].Add(step))
		if !starts[i].Add(step).After(cutoff) {
			completeKeys = append(completeKeys, keys[i])
			completeIdx = append(completeIdx, i)
		}
	}
	pieces := make([]data.Frames, n)
	if len(completeKeys) > 0 {
		for j, v := range d.cache.GetMany(ctx, completeKeys) {
			if v == nil {
				continue
			}
			if fs, err := cache.DecodeFrames(v); err == nil {
				pieces[completeIdx[j]] = fs
			}
		}
	}
	lo, hi := -1, -1
	for i, pc := range pieces {
		if pc == nil {
			if lo < 0 {
				lo = i
			}
			hi = i
		}
	}
	if lo < 0 {
		return mergeFrames(pieces, 0, zeroFillFor(p.q)), nil
	}
	// Chunks over [lo, hi]: with a chunk span, the buckets of one UTC day each (the days the
	// overview's mosP50 reads, so that both share the day's statement); else all of it at once.
	span := chunkSpan(p.q)
	var chunks [][2]int
	for i := lo; i <= hi; {
		j := hi
		if span > 0 { // the last bucket starting before the next UTC midnight
			j = min(hi, i+int((starts[i].Truncate(span).Add(span).Sub(starts[i])-1)/step))
		}
		if slices.ContainsFunc(pieces[i:j+1], func(pc data.Frames) bool { return pc == nil }) {
			chunks = append(chunks, [2]int{i, j})
		}
		i = j + 1
	}
	fresh := make([]data.Frames, len(chunks))
	errs := make([]error, len(chunks))
	var g errgroup.Group
	g.SetLimit(chunkParallel)
	for c, ch := range chunks {
		g.Go(func() error {
			defer func() {
				if r := recover(); r != nil {
					errs[c] = fmt.Errorf("chunk %d: panic: %v", c, r)
				}
			}()
			i, j := ch[0], ch[1]
			sub := p.q
			sub.From, sub.To = starts[i], starts[j].Add(step)
			fresh[c], errs[c] = st.Run(ctx, sub)
			if errs[c] == nil && !splittable(fresh[c]) {
				errs[c] = errNotSplittable
			}
			if errs[c] == nil {
				cut := splitFrames(fresh[c], starts[i:j+1], step)
				d.storeAsync(ctx, func(ctx context.Context) {
					d.storeBuckets(ctx, p.q, cut, starts[i:j+1], keys[i:j+1], pieces[i:j+1], step, cutoff)
				})
			}
			return nil // every chunk runs; errs holds each one's outcome
		})
	}
	_ = g.Wait()
	if slices.Contains(errs, errNotSplittable) {
		// Frames that cannot be cut into buckets are not cached per bucket: the whole range at once.
		if len(chunks) == 1 && chunks[0] == [2]int{0, n - 1} {
			return fresh[0], nil
		}
		return st.Run(ctx, p.q)
	}
	if err := errors.Join(errs...); err != nil {
		return nil, err
	}
	// In time order: cached buckets before, between and after the chunks, and the chunks.
	merged := make([]data.Frames, 0, n)
	metaFrom := -1
	next := 0
	for c, ch := range chunks {
		merged = append(merged, pieces[next:ch[0]]...)
		if metaFrom < 0 {
			metaFrom = len(merged)
		}
		merged = append(merged, fresh[c])
		next = ch[1] + 1
	}
	merged = append(merged, pieces[next:]...)
	return mergeFrames(merged, metaFrom, zeroFillFor(p.q)), nil
}

var errNotSplittable = errors.New("frames without a time field")

const (
	// queryChunkSpan is the length of a chunk where chunkSpan applies.
	queryChunkSpan = 24 * time.Hour
	// chunkParallel chunks of one query run at once (the machine's cores, not the pool, are the limit).
	chunkParallel = 2
)

// chunkSpan is how long a range one statement of a bucketed query covers, 0 for the whole range.
// Fleet quality reads every summary of the range (≈ 1.5 ms each, 5 s per day at 3,000 calls a
// day), so 30 days in one statement run past the statement timeout; the other bucketed types cost a
// fixed pass (session liveness) per statement, which chunks would repeat.
func chunkSpan(q query.Query) time.Duration {
	if q.QueryType == query.TypeQuality || q.QueryType == query.TypeTimeseries && store.IsQualityMetric(q.Metric) {
		return queryChunkSpan
	}
	return 0
}

// storeTimeout bounds a bucket write that runs after its response, and how long Dispose waits for them.
const storeTimeout = 10 * time.Second

// storeAsync runs store (a chunk's bucket writes) after the response instead of before it: encoding
// and compressing a chunk's one-row pieces cost more than its statement for short ranges
// (conferenceStatus, 1 day at 5-minute steps: 288 pieces, ~150 ms against a 50 ms statement). The
// pieces it writes are cut before (splitFrames: their values and meta are their own; labels and
// field configs are only read once computed). A later load that comes before the writes end computes
// those buckets again; nothing else depends on them.
func (d *Datasource) storeAsync(ctx context.Context, store func(context.Context)) {
	d.stores.Add(1)
	go func() {
		defer d.stores.Add(-1)
		defer func() {
			if r := recover(); r != nil {
				log.DefaultLogger.Error("storing buckets: panic", "panic", fmt.Sprint(r))
			}
		}()
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), storeTimeout)
		defer cancel()
		store(ctx)
	}()
}

// waitStores waits up to timeout for the bucket writes still running (polled: queries may start
// new writes meanwhile, which a sync.WaitGroup does not allow).
func (d *Datasource) waitStores(timeout time.Duration) {
	for deadline := time.Now().Add(timeout); d.stores.Load() > 0 && time.Now().Before(deadline); {
		time.Sleep(2 * time.Millisecond)
	}
}

// storeBuckets caches the completed buckets of a freshly computed chunk, cut into pieces (starts,
// keys and cached are its buckets') that were not cached yet, with the historic TTL unless they may
// still change.
func (d *Datasource) storeBuckets(ctx context.Context, q query.Query, pieces []data.Frames, starts []time.Time, keys []string, cached []data.Frames, step time.Duration, cutoff time.Time) {
	historic, volatile := map[string][]byte{}, map[string][]byte{}
	for i, s := range starts {
		if cached[i] != nil || s.Add(step).After(cutoff) {
			continue
		}
		piece := pieces[i]
		b, err := cache.EncodeFrames(piece)
		if err != nil {
			continue
		}
		if stillChanging(q, piece) {
			volatile[keys[i]] = b
		} else {
			historic[keys[i]] = b
		}
	}
	d.cache.SetMany(ctx, historic, d.historicPolicy())
	d.cache.SetMany(ctx, volatile, d.policy(d.now()))
}

// stillChanging: a completed conferenceStatus bucket that still counts ongoing conferences will
// change when they end, so it gets the live TTL instead of the historic one.
func stillChanging(q query.Query, piece data.Frames) bool {
	if q.QueryType != query.TypeConferenceStatus {
		return false
	}
	for _, f := range piece {
		if fld, _ := f.FieldByName("ongoing"); fld != nil {
			for i := 0; i < fld.Len(); i++ {
				if v, ok := fld.ConcreteAt(i); ok && v != int64(0) && v != float64(0) {
					return true
				}
			}
		}
	}
	return false
}

// zeroFillFor says which fields are counts (0 where a merged piece lacks them, e.g. a group with no
// rows in some buckets) rather than percentiles (null).
func zeroFillFor(q query.Query) func(*data.Field) bool {
	return func(f *data.Field) bool {
		if q.QueryType == query.TypeTimeseries {
			m := q.Metric
			return !strings.Contains(m, "P50") && !strings.Contains(m, "P95")
		}
		return !f.Type().Nullable()
	}
}

// annotate states in each frame the exact range it covers and where it came from.
func annotate(fs data.Frames, from, to time.Time, status cache.Status) {
	for _, f := range fs {
		if f.Meta == nil {
			f.Meta = &data.FrameMeta{}
		}
		info := map[string]any{
			"cacheRange": map[string]any{"from": from.UTC().Format(time.RFC3339), "to": to.UTC().Format(time.RFC3339)},
			"cache":      string(status),
		}
		switch c := f.Meta.Custom.(type) {
		case nil:
			f.Meta.Custom = info
		case map[string]any:
			for k, v := range info {
				c[k] = v
			}
		default:
			info["store"] = c
			f.Meta.Custom = info
		}
		frames.Notice(f, data.NoticeSeverityInfo, fmt.Sprintf("covers %s – %s (UTC)",
			from.UTC().Format("2006-01-02 15:04"), to.UTC().Format("2006-01-02 15:04")))
	}
}

// JSONCache is the cache for resource and variable answers. Key names the call (e.g. "values/browsers")
// and params are its canonical inputs (e.g. the query string); the data source's uid, settings version
// and scope are added here. Ranges should be aligned with AlignRange first, and ttl chosen with TTLFor.
func (d *Datasource) CachedJSON(ctx context.Context, name string, params []byte, from, to time.Time, compute func(ctx context.Context) ([]byte, error)) ([]byte, error) {
	from, to = AlignRange(from, to)
	base := d.baseKey(plan{q: query.Query{QueryType: "json:" + name}})
	key := rangeKey("j", append(base, string(params)), from, to)
	b, _, err := d.cache.Do(ctx, key, d.policy(to), compute)
	return b, err
}

// shared runs a statement that several queries are built on (store.Share) through the cache, keyed
// like a query by its name and query (whose range is already normalized): the panels of one
// dashboard load share one run through single-flight, replicas through Redis, later loads hit.
func (d *Datasource) shared(ctx context.Context, name string, q query.Query, compute func(ctx context.Context) ([]byte, error)) ([]byte, error) {
	p := plan{q: q}
	p.q.QueryType = "shared:" + name
	b, _, err := d.cache.Do(ctx, rangeKey("s", d.baseKey(p), q.From, q.To), d.policy(q.To), compute)
	return b, err
}

// AlignRange aligns a range to the default grain (from down, to up), as query ranges are.
func AlignRange(from, to time.Time) (time.Time, time.Time) {
	if from.IsZero() && to.IsZero() {
		return from, to
	}
	return alignDown(from, defaultGrain), alignUp(to, defaultGrain)
}

// cacheErrorLog logs Redis failures at most once per interval (every failure is counted).
type cacheErrorLog struct {
	mu       sync.Mutex
	last     time.Time
	dropped  int
	password string
}

func (l *cacheErrorLog) report(op string, err error) {
	metricCacheErrors.WithLabelValues(op).Inc()
	l.mu.Lock()
	defer l.mu.Unlock()
	if time.Since(l.last) < cacheErrorLogEvery {
		l.dropped++
		return
	}
	log.DefaultLogger.Warn("Redis cache unavailable; answering from PostgreSQL", "op", op,
		"error", redisCause(err, l.password), "suppressedSinceLast", l.dropped)
	l.last, l.dropped = time.Now(), 0
}
