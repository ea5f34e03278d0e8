package plugin

import (
	"context"
	"fmt"
	"runtime/debug"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/backend"
	"github.com/grafana/grafana-plugin-sdk-go/backend/log"

	"github.com/peermetrics/grafana-datasource/pkg/cache"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// maxParallel bounds the queries of one request that run at once, so one request with thousands of
// RefIDs cannot take every pooled connection.
const maxParallel = 8

// QueryData runs each query of the request in its own goroutine. Each RefID gets its own answer:
// a bad query, a database error or even a panic becomes that RefID's error and the rest answer.
func (d *Datasource) QueryData(ctx context.Context, req *backend.QueryDataRequest) (*backend.QueryDataResponse, error) {
	resp := backend.NewQueryDataResponse()
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, maxParallel)
	for _, dq := range req.Queries {
		wg.Add(1)
		go func(dq backend.DataQuery) {
			defer wg.Done()
			sem <- struct{}{}
			defer func() { <-sem }()
			r := d.runQuery(ctx, dq)
			mu.Lock()
			resp.Responses[dq.RefID] = r
			mu.Unlock()
		}(dq)
	}
	wg.Wait()
	return resp, nil
}

func (d *Datasource) runQuery(ctx context.Context, dq backend.DataQuery) (res backend.DataResponse) {
	defer func() {
		if r := recover(); r != nil {
			log.DefaultLogger.FromContext(ctx).Error("query panicked", "refId", dq.RefID, "queryType", dq.QueryType, "panic", fmt.Sprint(r), "stack", string(debug.Stack()))
			res = backend.ErrDataResponseWithSource(backend.StatusInternal, backend.ErrorSourcePlugin,
				fmt.Sprintf("internal error while running query %s; the plugin log has the details", dq.RefID))
		}
	}()
	q, err := query.Parse(dq)
	if err != nil {
		return d.errorResponse(err)
	}
	st, err := d.store()
	if err != nil {
		return d.errorResponse(err)
	}
	start := time.Now()
	frames, status, err := d.cachedRun(ctx, st, q, 0)
	metricQueryDuration.WithLabelValues(q.QueryType).Observe(time.Since(start).Seconds())
	if err != nil {
		return d.errorResponse(err)
	}
	switch status {
	case cache.Hit:
		metricCacheHits.WithLabelValues(q.QueryType).Inc()
	case cache.Stale:
		metricCacheStale.WithLabelValues(q.QueryType).Inc()
	default:
		metricCacheMisses.WithLabelValues(q.QueryType).Inc()
	}
	return backend.DataResponse{Frames: frames}
}
