package store

import (
	"context"
	"fmt"
	"strings"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

// Overview definitions (one row, SPEC §3):
//   - conferences: conferences created in the range; conferencesWithErrors/Warnings: those whose
//     status (ongoing > error > warning > success) is error/warning; errorRatePct = errors/conferences.
//   - sessions, participants (distinct active non-SFU), minutes (sum of session durations / 60, i.e.
//     participant-minutes): sessions created in the range.
//   - connections, relayedPct (relay among connections of known type), setupP50Ms/P95Ms (exact
//     percentile_cont of the Peermetrics setup time): connections created in the range.
//   - gumErrorRatePct: sessions with a getusermedia_error or no_media_access issue / sessions.
//   - mosP50: the median of the eMOS of every inbound audio sample taken in the range, null when the
//     range has no audio sample with a MOS: exact (percentile_cont, QualityPercentiles) up to one day,
//     from cached per-day histograms beyond (error ≤ 0.0005; quality_median.go).
//
// mosP50 is computed only when asked for: with metric "mosP50" the query runs mosMedian
// alone (not the statement below) and returns that one number, as an alert rule or a MOS stat panel
// wants it. Without a metric, mosP50 is null and a frame notice says how to get it. Why: fleet
// quality reads every summary.data of the range (detoast + one jsonb element per snapshot), which
// takes minutes cold for 30 days of the seed30 profile, against well under a second for every other
// number here; the overview dashboard loads all its stat panels from the one overview query, so
// computing MOS there would make every panel wait for the slowest number. A median does not merge
// from cached per-bucket medians (the quality time series), so there is no cheap exact shortcut;
// an approximate sketch would need its own storage. The overview dashboard's MOS panel should
// therefore ask {"queryType":"overview","metric":"mosP50"} (cached and pre-warmable on its own key).
// Each set's counts are one aggregate (cf, sa, cc) instead of a scan per number; conn is read only
// there, so it is not materialized and the planner reads only its type.
const overviewSQL = `,
cf AS (SELECT count(*) AS n, count(*) FILTER (WHERE status = 'error') AS errors, count(*) FILTER (WHERE status = 'warning') AS warnings FROM conf),
sa AS (SELECT count(*) AS n, COALESCE(sum(duration), 0) / 60.0 AS minutes FROM sess),
cc AS (SELECT count(*) AS n, count(*) FILTER (WHERE type = 'r') AS relayed, count(*) FILTER (WHERE type IS NOT NULL) AS typed FROM conn),
gum AS (SELECT count(DISTINCT i.session_id) AS n FROM app_issue i JOIN sess gs ON gs.id = i.session_id
        WHERE i.is_active AND i.code IN ('getusermedia_error', 'no_media_access'))
SELECT
  (SELECT n FROM cf),
  (SELECT count(*) FROM (SELECT DISTINCT participant_id FROM sess) sp JOIN participant p ON p.id = sp.participant_id AND p.is_active AND NOT p.is_sfu),
  (SELECT n FROM sa),
  (SELECT n FROM cc),
  (SELECT minutes FROM sa)::float8,
  (SELECT errors FROM cf),
  (SELECT warnings FROM cf),
  (SELECT relayed FROM cc),
  (SELECT typed FROM cc),
  (SELECT n FROM gum)`

func init() { register(query.TypeOverview, runOverview) }

// mosNotice tells an overview without metric mosP50 where MOS is.
const mosNotice = "mosP50 is null here: MOS is in the quality panel, or ask the overview for metric mosP50 (computed on its own: it reads every stats summary of the range)."

func runOverview(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	if q.Metric == "mosP50" {
		return runOverviewMOS(ctx, s, q)
	}
	// Setup times come from the statement setupTimeHistogram shares (setup_stats.go), run alongside
	// the overview's own statement; a query narrowed by metric runs only the statement it reads.
	setupOnly := q.Metric == "setupP50Ms" || q.Metric == "setupP95Ms"
	var setup setupStats
	setupDone := make(chan error, 1)
	if q.Metric == "" || setupOnly {
		go func() {
			defer func() {
				if r := recover(); r != nil {
					setupDone <- fmt.Errorf("setup times: panic: %v", r)
				}
			}()
			var err error
			setup, err = s.setupStats(ctx, q)
			setupDone <- err
		}()
	} else {
		setupDone <- nil
	}
	var (
		conferences, participants, sessions, connections, withErr, withWarn, relayed, typed, gum int64
		minutes                                                                                  float64
	)
	var executed []string
	if !setupOnly {
		b := &sqlb{}
		sql := b.entityCTEs(q, s.scope, need{conf: true, sess: true, conn: true, status: true, connOnce: true}) + overviewSQL
		err := s.db.QueryRow(ctx, sql, b.args...).Scan(&conferences, &participants, &sessions, &connections, &minutes,
			&withErr, &withWarn, &relayed, &typed, &gum)
		if err != nil {
			return nil, err // the setup goroutine ends on its own (buffered channel)
		}
		executed = append(executed, frames.Executed(sql, b.args))
	}
	if err := <-setupDone; err != nil {
		return nil, err
	}
	if setup.Executed != "" {
		executed = append(executed, "-- setupP50Ms, setupP95Ms:\n"+setup.Executed)
	}
	setupP50, setupP95 := setup.P50, setup.P95
	f := data.NewFrame("overview")
	frames.Meta(f, data.FrameTypeNumericWide, data.VisTypeTable, strings.Join(executed, "\n"), nil)
	num := func(name, display, unit string, v *float64) *data.Field {
		return frames.Config(data.NewField(name, nil, []*float64{v}), display, unit)
	}
	cnt := func(v int64) *float64 { x := float64(v); return &x }
	fConf := num("conferences", "Conferences", "none", cnt(conferences))
	fErr := num("conferencesWithErrors", "Conferences with errors", "none", cnt(withErr))
	fWarn := num("conferencesWithWarnings", "Conferences with warnings", "none", cnt(withWarn))
	fSess := num("sessions", "Sessions", "none", cnt(sessions))
	f.Fields = append(f.Fields,
		fConf,
		num("participants", "Participants", "none", cnt(participants)),
		fSess,
		num("connections", "Connections", "none", cnt(connections)),
		num("minutes", "Participant minutes", "none", &minutes),
		fErr, fWarn,
		num("errorRatePct", "Conference error rate", "percent", pct(withErr, conferences)),
		num("relayedPct", "Relayed connections", "percent", pct(relayed, typed)),
		num("gumErrorRatePct", "getUserMedia error rate", "percent", pct(gum, sessions)),
		num("setupP50Ms", "Setup time p50", "ms", setupP50),
		num("setupP95Ms", "Setup time p95", "ms", setupP95),
		num("mosP50", "MOS p50", "none", nil),
	)
	// Each number carries its name as a label, so server-side expressions and alert rules see
	// distinct label sets; metric narrows the frame to one number for an alert rule.
	kept := f.Fields[:0]
	for _, fld := range f.Fields {
		fld.Labels = data.Labels{"metric": fld.Name}
		if q.Metric == "" || q.Metric == fld.Name {
			kept = append(kept, fld)
		}
	}
	f.Fields = kept
	if q.Metric == "" {
		frames.Notice(f, data.NoticeSeverityInfo, mosNotice)
	}
	base := func() *frames.Link { return frames.To(frames.DashConferences).Range(q.From, q.To).Filters(q) }
	frames.AddLink(fConf, "Conferences", base().String())
	frames.AddLink(fErr, "Conferences with errors", base().Set("status", "error").String())
	frames.AddLink(fWarn, "Conferences with warnings", base().Set("status", "warning").String())
	return data.Frames{f}, nil
}

// pct is part/whole in percent, null when there is nothing to divide by.
func pct(part, whole int64) *float64 {
	if whole == 0 {
		return nil
	}
	v := float64(part) * 100 / float64(whole)
	return &v
}

// runOverviewMOS is the overview narrowed to mosP50 (mosMedian over the range), one row.
func runOverviewMOS(ctx context.Context, s *Store, q query.Query) (data.Frames, error) {
	mos, sql, args, err := s.mosMedian(ctx, q)
	if err != nil {
		return nil, err
	}
	f := data.NewFrame("overview")
	frames.Meta(f, data.FrameTypeNumericWide, data.VisTypeTable, sql, args)
	fld := frames.Config(data.NewField("mosP50", data.Labels{"metric": "mosP50"}, []*float64{mos}), "MOS p50", "none")
	f.Fields = append(f.Fields, fld)
	how := "Exact median (percentile_cont)"
	if mosByDays(q) {
		how = "Median from per-day histograms (bins of 0.001, error ≤ 0.0005; the statement shown is the first day's)"
	}
	frames.Notice(f, data.NoticeSeverityInfo, how+" of the eMOS of every inbound audio sample in the range: summary.data for ended conferences, raw stats rows for the others")
	return data.Frames{f}, nil
}
