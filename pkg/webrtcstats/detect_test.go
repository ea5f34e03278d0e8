package webrtcstats

import (
	"reflect"
	"testing"
)

func TestDetectHysteresis(t *testing.T) {
	const N = -1.0 // stands for a null sample in the tables below
	above5 := func(v float64) bool { return v > 5 }
	tests := []struct {
		name string
		in   []float64
		want []Interval
	}{
		// i3: window [1,9,9,9] has 3 breaches → on at 3
		// i4 [1,9,9,9,1] 2 clears; i5 [9,9,9,1,1] 2; i6 [9,9,1,1,1] 3 clears → off at 6
		{"on and off", []float64{1, 9, 9, 9, 1, 1, 1, 1}, []Interval{{3, 6}}},
		// i4 [9,1,9,1,9] 3 breaches → on; i5 [1,9,1,9,1] 3 clears → off
		{"3 of 5, not consecutive", []float64{9, 1, 9, 1, 9, 1, 1, 1, 1}, []Interval{{4, 5}}},
		// never more than 2 breaches in any 5: [9,9,1,1,1], [9,1,1,1,9], [1,1,1,9,9], [1,1,9,9,1], ...
		{"2 of 5 never starts", []float64{9, 9, 1, 1, 1, 9, 9, 1, 1, 1}, nil},
		// on at 2 ([9,9,9]); i3 [9,9,9,1] 1 clear; i4 2; i5 [9,9,1,1,1] 3 → off at 5
		// i6 [9,1,1,1,9] 2 breaches; i7 [1,1,1,9,9] 2; i8 [1,1,9,9,9] 3 → on at 8
		// i9 [1,9,9,9,1] 2 clears; i10 [9,9,9,1,1] 2; i11 [9,9,1,1,1] 3 → off at 11
		{"two episodes", []float64{9, 9, 9, 1, 1, 1, 9, 9, 9, 1, 1, 1}, []Interval{{2, 5}, {8, 11}}},
		// on at 2, never 3 clears afterwards → open
		{"still active", []float64{9, 9, 9, 9}, []Interval{{2, -1}}},
		// nulls neither breach nor clear: i4 [9,N,9,N,9] 3 breaches → on at 4;
		// i5..i8 windows hold only nulls and breaches → stays on; i9 [N,N,N,N,1] 1 clear;
		// i10 2 clears; i11 [N,N,1,1,1] 3 → off at 11
		{"nulls hold the state", []float64{9, N, 9, N, 9, N, N, N, N, 1, 1, 1}, []Interval{{4, 11}}},
		// a run of nulls never starts a condition
		{"only nulls", []float64{N, N, N, N, N, N}, nil},
		{"empty", nil, nil},
	}
	for _, tt := range tests {
		vals := make([]*float64, len(tt.in))
		for i, v := range tt.in {
			if v != N {
				vals[i] = f(v)
			}
		}
		got := Detect(vals, above5)
		if !reflect.DeepEqual(got, tt.want) {
			t.Errorf("%s: Detect = %v; want %v", tt.name, got, tt.want)
		}
		for _, iv := range got {
			if iv.Open() != (iv.End == -1) {
				t.Errorf("%s: Open() inconsistent for %v", tt.name, iv)
			}
		}
	}
}
