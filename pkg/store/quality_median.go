package store

import (
	"context"
	"errors"
	"fmt"
	"math"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// The overview's mosP50 over more than a day is the median of per-day MOS histograms. Why: one
// exact percentile_cont over 30 days reads every summary of the range in one statement (150 s at
// 3,000 calls a day, past any statement timeout), and exact medians do not merge. A histogram per
// UTC day (bins of 0.001 MOS, ≤ 4,001 bins) is counted by the day's shared quality statement
// (qualityBucketsShared, ~5 s at that scale, which a quality panel of the same step reads too), is
// cached like a query result (a finished day never changes, so a 30-day load recomputes only its
// partial first and last days), and merges by adding counts. The median is read off the merged
// bins the way percentile_cont reads sorted values (interpolated at rank (N−1)/2), with each sample
// taken at its bin's middle: |error| ≤ mosBinWidth/2 = 0.0005 against the exact median. Up to one
// day the exact statement runs.

const (
	mosBinsPerUnit = 1000
	mosBinWidth    = 1.0 / mosBinsPerUnit
	// mosDayParallel day histograms of one query run at once.
	mosDayParallel = 2
)

// mosMedian is mosP50 over q's range and the statement that ran (its first day's, when in days).
func (s *Store) mosMedian(ctx context.Context, q query.Query) (*float64, string, []any, error) {
	if !mosByDays(q) {
		mos, _, _, _, sql, args, err := s.QualityPercentiles(ctx, q)
		return mos, sql, args, err
	}
	// The day histograms come with the day's quality buckets (qualityBucketsShared), on the step a
	// quality panel with the same interval uses: a dashboard showing both reads each day once.
	step := TimeseriesStep(q)
	days := dayRanges(q.From, q.To)
	hs := make([]qualityShare, len(days))
	errs := make([]error, len(days))
	var g errgroup.Group
	g.SetLimit(mosDayParallel)
	for i, r := range days {
		g.Go(func() error {
			defer func() {
				if p := recover(); p != nil {
					errs[i] = fmt.Errorf("MOS histogram of %s: panic: %v", r[0].Format(time.DateOnly), p)
				}
			}()
			dq := q
			dq.From, dq.To = r[0], r[1]
			hs[i], errs[i] = s.qualityBucketsShared(ctx, dq, step)
			return nil // every day runs; errs holds each one's outcome
		})
	}
	_ = g.Wait()
	if err := errors.Join(errs...); err != nil {
		return nil, "", nil, err
	}
	bins := make([]int64, 5*mosBinsPerUnit+1)
	for _, h := range hs {
		for k, n := range h.MOSBins {
			if k >= 0 && k < len(bins) {
				bins[k] += n
			}
		}
	}
	return medianOfBins(bins), hs[0].Executed, nil, nil
}

// mosByDays: mosP50 over q's range comes from day histograms, not the exact statement.
func mosByDays(q query.Query) bool { return q.To.Sub(q.From) > day }

// medianOfBins is percentile_cont(0.5) over samples counted per bin of mosBinWidth (bin k holds
// [k·w, (k+1)·w)), each taken at its bin's middle; nil without samples.
func medianOfBins(bins []int64) *float64 {
	var n int64
	for _, c := range bins {
		n += c
	}
	if n == 0 {
		return nil
	}
	// The values at sorted positions lo and lo+1 (0-based), interpolated at rank (n−1)/2.
	lo := (n - 1) / 2
	at := func(pos int64) float64 {
		var seen int64
		for k, c := range bins {
			if seen += c; pos < seen {
				return (float64(k) + 0.5) * mosBinWidth
			}
		}
		return math.NaN()
	}
	v := at(lo)
	if (n-1)%2 == 1 {
		v = (v + at(lo+1)) / 2
	}
	v = min(max(v, 1), 5)
	return &v
}

// dayRanges cuts [from, to) at UTC midnights.
func dayRanges(from, to time.Time) [][2]time.Time {
	var out [][2]time.Time
	for t := from; t.Before(to); {
		next := t.UTC().Truncate(day).Add(day)
		if next.After(to) {
			next = to
		}
		out = append(out, [2]time.Time{t, next})
		t = next
	}
	return out
}
