package provisioningtest

import (
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// The helpers of the provisioning test are pinned here, so that a pass of the big test means what
// it says.

func TestYAMLSubset(t *testing.T) {
	src := `# comment
a: 1
b: 'it''s
  folded'
c:
- x: "q"
  y: [ ]
- plain text
  continued  # comment
d:
  e: true
  f: []
  g: ~
`
	src = strings.Replace(src, "[ ]", "[]", 1)
	got, err := parseYAML(src)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"a": 1.0, "b": "it's folded", "c": []any{map[string]any{"x": "q", "y": []any{}}, "plain text continued"},
		"d": map[string]any{"e": true, "f": []any{}, "g": nil}}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("got %#v", got)
	}
	for _, bad := range []string{"a: |\n  x\n", "a: [1, 2]\n", "a: 1\na: 2\n", "a: 'open\n"} {
		if _, err := parseYAML(bad); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func TestInterpolationLikeTheFrontend(t *testing.T) {
	space := " "
	all := "$__all"
	sc := &scope{unknown: map[string]bool{}, vars: map[string]*varState{
		"app":     {def: templateVar{Name: "app", IncludeAll: true, AllValue: &space}, all: true},
		"browser": {def: templateVar{Name: "browser", Multi: true, IncludeAll: true, AllValue: &all}, values: []string{"Chrome", "Firefox"}},
		"os":      {def: templateVar{Name: "os", Multi: true, IncludeAll: true, AllValue: &all}, all: true},
		"min":     {values: []string{""}},
		"max":     {values: []string{"60"}},
	}}
	var target map[string]any
	_ = json.Unmarshal([]byte(`{"appId":"$app","conferenceId":"${browser}","filters":{"browser":["$browser"],"os":["$os"],
		"durationMinSeconds":"$min","durationMaxSeconds":"$max","search":"$nope"}}`), &target)
	got, _ := json.Marshal(sc.applyTemplateVariables(target))
	want := `{"appId":" ","conferenceId":"Chrome,Firefox","filters":{"browser":["Chrome","Firefox"],"durationMaxSeconds":60,"os":["$__all"],"search":"$nope"}}`
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if !sc.unknown["nope"] || len(leftoverVars(got)) != 1 {
		t.Errorf("unknown %v, leftovers %v", sc.unknown, leftoverVars(got))
	}
	if roundInterval(259200000/900) != 300000 {
		t.Error("3 days over 900 points should be 5 minutes")
	}
}

func TestSSEReadFollowsGrafana(t *testing.T) {
	meta := func(f *data.Frame, typ data.FrameType) *data.Frame {
		f.Meta = &data.FrameMeta{Type: typ, TypeVersion: data.FrameTypeVersion{0, 1}}
		return f
	}
	ts := []time.Time{time.Unix(0, 0), time.Unix(60, 0)}
	wide := func(l1, l2 data.Labels) *data.Frame {
		return meta(data.NewFrame("", data.NewField("time", nil, ts), data.NewField("v", l1, []float64{1, 2}),
			data.NewField("w", l2, []float64{1, 2})), data.FrameTypeTimeSeriesWide)
	}
	cases := []struct {
		name   string
		frames data.Frames
		kind   string
		err    string
	}{
		{"no frames", nil, "no data", ""},
		{"wide, labelled series", data.Frames{wide(data.Labels{"b": "x"}, data.Labels{"b": "y"})}, "series", ""},
		{"wide, same labels", data.Frames{wide(nil, nil)}, "", "same labels"},
		{"wide, extra frame", data.Frames{wide(data.Labels{"b": "x"}, data.Labels{"b": "y"}), wide(nil, nil)}, "", "reads only the first"},
		{"numeric-wide, one row", data.Frames{meta(data.NewFrame("", data.NewField("n", nil, []float64{1})), data.FrameTypeNumericWide)}, "numbers", ""},
		{"numeric-long, two number columns", data.Frames{meta(data.NewFrame("", data.NewField("k", nil, []string{"a"}),
			data.NewField("n", nil, []float64{1}), data.NewField("m", nil, []float64{1})), data.FrameTypeNumericLong)}, "", "same labels"},
		{"numeric-long, one number column", data.Frames{meta(data.NewFrame("", data.NewField("k", nil, []string{"a", "b"}),
			data.NewField("n", nil, []float64{1, 2})), data.FrameTypeNumericLong)}, "numbers", ""},
		{"table type", data.Frames{meta(data.NewFrame("", data.NewField("n", nil, []float64{1})), data.FrameTypeTable)}, "", "not one that"},
		{"untyped number table", data.Frames{data.NewFrame("", data.NewField("k", nil, []string{"a", "b"}), data.NewField("n", nil, []int64{1, 2}))}, "numbers", ""},
		{"untyped long series", data.Frames{data.NewFrame("", data.NewField("t", nil, ts), data.NewField("k", nil, []string{"a", "b"}),
			data.NewField("n", nil, []int64{1, 2}))}, "", "wide series"},
	}
	for _, c := range cases {
		kind, _, err := sseRead(c.frames)
		switch {
		case c.err == "" && (err != nil || kind != c.kind):
			t.Errorf("%s: kind %q err %v, want %q", c.name, kind, err, c.kind)
		case c.err != "" && (err == nil || !strings.Contains(err.Error(), c.err)):
			t.Errorf("%s: err %v, want one containing %q", c.name, err, c.err)
		}
	}
}
