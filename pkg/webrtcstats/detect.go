package webrtcstats

// Hysteresis window of Detect: a condition starts when HysteresisOn of the last HysteresisWindow
// samples breach, and clears when HysteresisOff of the last HysteresisWindow samples do not.
const (
	HysteresisWindow = 5
	HysteresisOn     = 3
	HysteresisOff    = 3
)

// Interval is one episode of a condition, in sample indices. Start is the index of the sample at
// which the condition became active (the one completing 3 breaches out of the last 5); End is the
// index of the sample at which it cleared, exclusive (the condition covers [Start, End)), or -1 while
// it is still active at the end of the values.
type Interval struct {
	Start int
	End   int
}

// Open reports whether the condition was still active at the last sample.
func (iv Interval) Open() bool { return iv.End < 0 }

// Detect finds the episodes during which values breach a threshold, with 3-of-5 hysteresis: over a
// sliding window of the last 5 samples (fewer at the start of the series), an inactive condition
// starts when at least 3 samples breach, and an active one clears when at least 3 samples are
// present and do not breach. A nil value (no data) counts as neither breaching nor clearing, so a
// stretch without data holds the current state instead of raising or ending a condition; it still
// occupies its place in the window. Because 3 + 3 > 5, one window can never satisfy both rules.
// Decisions are causal: each index is decided from samples up to and including it.
func Detect(values []*float64, breach func(float64) bool) []Interval {
	var out []Interval
	var win [HysteresisWindow]int8 // +1 breach, -1 clear, 0 null
	active := false
	for i, v := range values {
		state := int8(0)
		if v != nil {
			if breach(*v) {
				state = 1
			} else {
				state = -1
			}
		}
		win[i%HysteresisWindow] = state
		n := min(i+1, HysteresisWindow)
		breaches, clears := 0, 0
		for j := 0; j < n; j++ {
			switch win[j] {
			case 1:
				breaches++
			case -1:
				clears++
			}
		}
		switch {
		case !active && breaches >= HysteresisOn:
			active = true
			out = append(out, Interval{Start: i, End: -1})
		case active && clears >= HysteresisOff:
			active = false
			out[len(out)-1].End = i
		}
	}
	return out
}
