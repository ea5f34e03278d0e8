package provisioningtest

import (
	"fmt"
	"sort"
	"strings"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// sseRead reads frames the way Grafana's server-side expressions do before an alert rule's
// reduce/math/threshold steps (grafana/grafana pkg/expr/converter.go and dataplane.go, with the
// readers of grafana/dataplane sdata/timeseries and sdata/numeric), and returns what it would
// produce: the kind ("no data", "series" or "numbers") and the label set of each series or
// number. An error is a response that SSE rejects or reads with silent data loss, or one that
// alerting rejects afterwards: every series/number must have a distinct label set, else the rule
// fails with "frame cannot uniquely be identified by its labels" (pkg/services/ngalert/eval).
func sseRead(frames data.Frames) (kind string, labels []string, err error) {
	if len(frames) == 0 {
		return "no data", nil, nil
	}
	f0 := frames[0]
	if f0 == nil {
		return "", nil, fmt.Errorf("frame 0 is nil")
	}
	for i, f := range frames {
		if f == nil {
			return "", nil, fmt.Errorf("frame %d is nil", i)
		}
		if _, err := f.RowLen(); err != nil {
			return "", nil, fmt.Errorf("frame %d: %w", i, err)
		}
	}
	if f0.Meta != nil && f0.Meta.Type != "" && !f0.Meta.TypeVersion.IsZero() {
		kind, labels, err = dataplaneRead(frames)
	} else {
		kind, labels, err = legacyRead(frames)
	}
	if err != nil {
		return kind, nil, err
	}
	seen := map[string]bool{}
	for _, l := range labels {
		if seen[l] {
			return kind, labels, fmt.Errorf("two %s have the same labels {%s}: Grafana alerting rejects the result (frame cannot uniquely be identified by its labels)", kind, l)
		}
		seen[l] = true
	}
	sort.Strings(labels)
	return kind, labels, nil
}

func isValue(f *data.Field) bool {
	t := f.Type()
	return t.Numeric() || t == data.FieldTypeBool || t == data.FieldTypeNullableBool
}

func isString(f *data.Field) bool {
	return f.Type() == data.FieldTypeString || f.Type() == data.FieldTypeNullableString
}

func timeSorted(f *data.Field) bool {
	for i := 1; i < f.Len(); i++ {
		if f.At(i).(time.Time).Before(f.At(i - 1).(time.Time)) {
			return false
		}
	}
	return true
}

func dataplaneRead(frames data.Frames) (string, []string, error) {
	f0 := frames[0]
	t := f0.Meta.Type
	if f0.Meta.TypeVersion != (data.FrameTypeVersion{0, 1}) {
		return "", nil, fmt.Errorf("%s version %s: SSE readers know 0.1", t, f0.Meta.TypeVersion)
	}
	for i, f := range frames[1:] {
		if f.Meta != nil && f.Meta.Type != "" && f.Meta.Type != t {
			return "", nil, fmt.Errorf("frame %d is %s but frame 0 is %s: SSE reads every frame as %s", i+1, f.Meta.Type, t, t)
		}
	}
	single := func() error {
		if len(frames) > 1 {
			return fmt.Errorf("%s response has %d frames: SSE reads only the first and drops the others", t, len(frames))
		}
		return nil
	}
	var labels []string
	switch t {
	case data.FrameTypeTimeSeriesWide, data.FrameTypeTimeSeriesMulti:
		if len(f0.Fields) == 0 {
			if len(frames) > 1 {
				return "", nil, fmt.Errorf("no-data %s response with extra frames", t)
			}
			return "no data", nil, nil
		}
		if t == data.FrameTypeTimeSeriesWide {
			if err := single(); err != nil {
				return "", nil, err
			}
		}
		for i, f := range frames {
			if f.Meta == nil || f.Meta.Type != t {
				return "", nil, fmt.Errorf("frame %d lacks the %s type indicator: SSE ignores it", i, t)
			}
			times := f.TypeIndices(data.FieldTypeTime)
			if len(times) == 0 {
				return "", nil, fmt.Errorf("frame %d has no []time.Time field (nullable time is not read)", i)
			}
			if !timeSorted(f.Fields[times[0]]) {
				return "", nil, fmt.Errorf("frame %d: time is not sorted ascending", i)
			}
			values := 0
			for _, fld := range f.Fields {
				if isValue(fld) {
					values++
					labels = append(labels, fld.Labels.String())
				}
			}
			if values == 0 {
				return "", nil, fmt.Errorf("frame %d has no numeric value field", i)
			}
			if t == data.FrameTypeTimeSeriesMulti && values > 1 {
				return "", nil, fmt.Errorf("frame %d of a timeseries-multi response has %d value fields: SSE reads only the first", i, values)
			}
		}
		return "series", labels, nil
	case data.FrameTypeTimeSeriesLong:
		if err := single(); err != nil {
			return "", nil, err
		}
		if len(f0.Fields) == 0 {
			return "no data", nil, nil
		}
		times := f0.TypeIndices(data.FieldTypeTime)
		if len(times) == 0 {
			return "", nil, fmt.Errorf("timeseries-long frame has no []time.Time field")
		}
		if !timeSorted(f0.Fields[times[0]]) {
			return "", nil, fmt.Errorf("timeseries-long frame: time is not sorted ascending")
		}
		dims, err := rowDims(f0)
		if err != nil {
			return "", nil, err
		}
		set := map[string]bool{}
		values := 0
		for _, fld := range f0.Fields {
			if !isValue(fld) {
				continue
			}
			values++
			for _, d := range dims {
				l := fld.Labels.Copy()
				if l == nil {
					l = data.Labels{}
				}
				for k, v := range d {
					l[k] = v
				}
				set[fld.Name+"\x00"+l.String()] = true
			}
		}
		if values == 0 {
			return "", nil, fmt.Errorf("timeseries-long frame has no numeric value field")
		}
		for k := range set {
			_, l, _ := strings.Cut(k, "\x00")
			labels = append(labels, l)
		}
		return "series", labels, nil
	case data.FrameTypeNumericWide, data.FrameTypeNumericMulti:
		if len(f0.Fields) == 0 {
			return "no data", nil, nil
		}
		if t == data.FrameTypeNumericWide {
			if err := single(); err != nil {
				return "", nil, err
			}
		}
		for i, f := range frames {
			numeric := 0
			for _, fld := range f.Fields {
				if fld.Type().Numeric() {
					numeric++
					labels = append(labels, fld.Labels.String())
				} else if !isString(fld) {
					return "", nil, fmt.Errorf("frame %d: %s field %q (%s) is not numeric", i, t, fld.Name, fld.Type())
				}
			}
			if numeric == 0 {
				return "", nil, fmt.Errorf("frame %d of a %s response has no numeric field", i, t)
			}
			if t == data.FrameTypeNumericMulti && numeric > 1 {
				return "", nil, fmt.Errorf("frame %d of a numeric-multi response has %d numeric fields", i, numeric)
			}
			if f.Rows() != 1 {
				return "", nil, fmt.Errorf("frame %d: a %s frame holds one number per field, this one has %d rows", i, t, f.Rows())
			}
		}
		return "numbers", labels, nil
	case data.FrameTypeNumericLong:
		if err := single(); err != nil {
			return "", nil, err
		}
		if len(f0.Fields) == 0 {
			return "no data", nil, nil
		}
		dims, err := rowDims(f0)
		if err != nil {
			return "", nil, err
		}
		numeric := 0
		for _, fld := range f0.Fields {
			switch {
			case fld.Type().Numeric():
				numeric++
			case isString(fld):
			default:
				return "", nil, fmt.Errorf("numeric-long field %q (%s) is neither numeric nor a string dimension", fld.Name, fld.Type())
			}
		}
		if numeric == 0 {
			return "", nil, fmt.Errorf("numeric-long frame has no numeric field")
		}
		// The reader labels every number of a row with the row's string columns only, so each
		// numeric column beyond the first repeats the row's labels.
		for _, d := range dims {
			for i := 0; i < numeric; i++ {
				labels = append(labels, d.String())
			}
		}
		return "numbers", labels, nil
	}
	return "", nil, fmt.Errorf("frame type %q is not one that server-side expressions read (timeseries-wide/-long/-multi, numeric-wide/-long/-multi)", t)
}

// rowDims gives each row's labels from its string columns; a null string would panic the reader.
func rowDims(f *data.Frame) ([]data.Labels, error) {
	out := make([]data.Labels, f.Rows())
	for r := range out {
		out[r] = data.Labels{}
		for _, fld := range f.Fields {
			if !isString(fld) {
				continue
			}
			v, ok := fld.ConcreteAt(r)
			if !ok {
				return nil, fmt.Errorf("string field %q is null in row %d: the SSE reader expects a string there", fld.Name, r)
			}
			out[r][fld.Name] = v.(string)
		}
	}
	return out, nil
}

// legacyRead is the converter's path for frames without dataplane metadata.
func legacyRead(frames data.Frames) (string, []string, error) {
	if len(frames) == 1 {
		f := frames[0]
		if len(f.Fields) == 0 {
			return "no data", nil, nil
		}
		if f.TimeSeriesSchema().Type == data.TimeSeriesTypeNot {
			numeric, other := 0, 0
			for _, fld := range f.Fields {
				switch {
				case fld.Type().Numeric():
					numeric++
				case isString(fld):
				default:
					other++
				}
			}
			if numeric == 1 && other == 0 {
				dims, err := rowDims(f)
				if err != nil {
					return "", nil, err
				}
				var labels []string
				for _, d := range dims {
					labels = append(labels, d.String())
				}
				return "numbers", labels, nil
			}
		}
	}
	var labels []string
	for i, f := range frames {
		schema := f.TimeSeriesSchema()
		if schema.Type != data.TimeSeriesTypeWide {
			return "", nil, fmt.Errorf("frame %d: input data must be a wide series but got type %s (no dataplane type, not a table of one number column and string columns)", i, schema.Type)
		}
		for _, vi := range schema.ValueIndices {
			labels = append(labels, f.Fields[vi].Labels.String())
		}
	}
	return "series", labels, nil
}
