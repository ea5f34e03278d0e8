package plugin

import (
	"maps"
	"slices"
	"sort"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
)

// timeField is the index of a frame's first time field, or -1.
func timeField(f *data.Frame) int {
	for i, fld := range f.Fields {
		if t := fld.Type(); t == data.FieldTypeTime || t == data.FieldTypeNullableTime {
			return i
		}
	}
	return -1
}

// splittable reports whether every frame has a time field, so rows can be cut into buckets.
func splittable(fs data.Frames) bool {
	for _, f := range fs {
		if timeField(f) < 0 {
			return false
		}
	}
	return true
}

func timeAt(fld *data.Field, i int) (time.Time, bool) {
	v, ok := fld.ConcreteAt(i)
	if !ok {
		return time.Time{}, false
	}
	t, ok := v.(time.Time)
	return t, ok
}

// splitFrames cuts frames into one piece per bucket [starts[i], starts[i]+step) (starts contiguous,
// step apart): each piece keeps the rows of each frame whose time lies in its bucket, with every
// field (names, labels, config with its links) and a copy of the frame meta (the pieces are written
// while the frames are annotated for the response, see storeAsync), so that it stands on its own in
// the cache. One pass over the rows: a pass over every row per bucket was quadratic
// (BenchmarkSplitFrames, 1,440 buckets: 68 -> 1.2 ms; a cold 1-day conferenceStatus in pmbench spent
// ~150 ms of CPU there).
func splitFrames(fs data.Frames, starts []time.Time, step time.Duration) []data.Frames {
	pieces := make([]data.Frames, len(starts))
	for i := range pieces {
		pieces[i] = make(data.Frames, 0, len(fs))
	}
	if len(starts) == 0 {
		return pieces
	}
	rows := make([][]int, len(starts))
	for _, f := range fs {
		ti := timeField(f)
		for i := range rows {
			rows[i] = rows[i][:0]
		}
		for r := 0; r < f.Rows(); r++ {
			t, ok := timeAt(f.Fields[ti], r)
			if !ok || t.Before(starts[0]) {
				continue
			}
			if i := int(t.Sub(starts[0]) / step); i < len(starts) {
				rows[i] = append(rows[i], r)
			}
		}
		meta := cloneMeta(f.Meta)
		for i := range pieces {
			pieces[i] = append(pieces[i], framePiece(f, meta, rows[i]))
		}
	}
	return pieces
}

// framePiece copies rows of f into a frame of its own. A series without any value in the piece (a
// group the store reported for other buckets of its range) is left out, as the store would leave it
// out for this range alone; merging fills it back with zeros or nulls where another piece has it.
func framePiece(f *data.Frame, meta *data.FrameMeta, rows []int) *data.Frame {
	nf := data.NewFrame(f.Name)
	nf.RefID = f.RefID
	nf.Meta = meta
	for _, fld := range f.Fields {
		c := data.NewFieldFromFieldType(fld.Type(), len(rows))
		c.Name, c.Labels, c.Config = fld.Name, fld.Labels, fld.Config
		for k, r := range rows {
			c.Set(k, fld.CopyAt(r))
		}
		if len(c.Labels) == 0 || !allEmpty(c) {
			nf.Fields = append(nf.Fields, c)
		}
	}
	return nf
}

// cloneMeta copies what annotate changes in a frame meta (its fields, the Custom map, the notices).
func cloneMeta(m *data.FrameMeta) *data.FrameMeta {
	if m == nil {
		return nil
	}
	c := *m
	c.Notices = slices.Clone(m.Notices)
	if custom, ok := m.Custom.(map[string]any); ok {
		c.Custom = maps.Clone(custom)
	}
	return &c
}

// allEmpty reports whether every value of a field is null or zero.
func allEmpty(f *data.Field) bool {
	for i := 0; i < f.Len(); i++ {
		v, ok := f.ConcreteAt(i)
		if ok && v != zeroOf(f.Type().NonNullableType()) {
			return false
		}
	}
	return true
}

func fieldKey(f *data.Field) string {
	if len(f.Labels) == 0 {
		return f.Name
	}
	return f.Name + "{" + f.Labels.String() + "}"
}

// mergeFrames joins time-ordered pieces (each the frames of some buckets) into one set of frames:
// frames are matched by name and position, fields by name and labels (the union of all pieces, in
// order of first appearance), rows are concatenated in piece order. A field missing from a piece is
// null there, or zero where zeroFill says the field counts something (non-nullable fields are always
// zero). The meta of pieces[metaFrom] (the freshly computed part) is kept.
func mergeFrames(pieces []data.Frames, metaFrom int, zeroFill func(*data.Field) bool) data.Frames {
	type group struct {
		name   string
		frames []*data.Frame
		meta   *data.FrameMeta
		refID  string
	}
	var groups []*group
	index := map[string]*group{}
	for pi, p := range pieces {
		seen := map[string]int{}
		for _, f := range p {
			k := f.Name + "\x00" + string(rune('0'+seen[f.Name]))
			seen[f.Name]++
			g := index[k]
			if g == nil {
				g = &group{name: f.Name, refID: f.RefID, meta: f.Meta}
				index[k] = g
				groups = append(groups, g)
			}
			if pi == metaFrom && f.Meta != nil {
				g.meta = f.Meta
			}
			g.frames = append(g.frames, f)
		}
	}
	out := make(data.Frames, 0, len(groups))
	for _, g := range groups {
		total := 0
		for _, f := range g.frames {
			total += f.Rows()
		}
		type col struct {
			out     *data.Field
			key     string
			present int
		}
		var cols []*col
		byKey := map[string]*col{}
		// Each frame's fields by key, built once: looking a column up in every frame by comparing
		// keys was fields² per piece (a day of a grouped series at 1-minute steps has 1,440 pieces).
		fieldsByKey := make([]map[string]*data.Field, len(g.frames))
		for fi, f := range g.frames {
			fieldsByKey[fi] = make(map[string]*data.Field, len(f.Fields))
			for _, fld := range f.Fields {
				k := fieldKey(fld)
				if _, dup := fieldsByKey[fi][k]; !dup {
					fieldsByKey[fi][k] = fld
				}
				c := byKey[k]
				if c == nil {
					c = &col{out: fld, key: k}
					byKey[k] = c
					cols = append(cols, c)
				}
				c.present++
			}
		}
		// Series (labelled fields) in the store's order, whichever piece first had them.
		sort.SliceStable(cols, func(i, j int) bool {
			li, lj := cols[i].out.Labels, cols[j].out.Labels
			if len(li) == 0 || len(lj) == 0 {
				return len(li) == 0 && len(lj) != 0
			}
			return li.String() < lj.String()
		})
		nf := data.NewFrame(g.name)
		nf.RefID, nf.Meta = g.refID, g.meta
		for _, c := range cols {
			typ := c.out.Type()
			fill := zeroFill != nil && zeroFill(c.out)
			if c.present < len(g.frames) && !typ.Nullable() && !fill {
				typ = typ.NullableType()
			}
			nfld := data.NewFieldFromFieldType(typ, total)
			nfld.Name, nfld.Labels, nfld.Config = c.out.Name, c.out.Labels, c.out.Config
			base := typ.NonNullableType()
			off := 0
			for fi, f := range g.frames {
				src := fieldsByKey[fi][c.key]
				n := f.Rows()
				if src != nil && src.Type().NonNullableType() == base {
					for i := 0; i < n; i++ {
						if v, ok := src.ConcreteAt(i); ok {
							nfld.SetConcrete(off+i, v)
						} else if z := zeroOf(base); z != nil && !typ.Nullable() {
							nfld.SetConcrete(off+i, z)
						}
					}
				} else if fill && typ.Nullable() {
					if z := zeroOf(base); z != nil {
						for i := 0; i < n; i++ {
							nfld.SetConcrete(off+i, z)
						}
					}
				}
				off += n
			}
			nf.Fields = append(nf.Fields, nfld)
		}
		out = append(out, nf)
	}
	return out
}

// zeroOf is the zero of a numeric field type, nil for other types.
func zeroOf(t data.FieldType) any {
	switch t {
	case data.FieldTypeFloat64:
		return float64(0)
	case data.FieldTypeFloat32:
		return float32(0)
	case data.FieldTypeInt64:
		return int64(0)
	case data.FieldTypeInt32:
		return int32(0)
	case data.FieldTypeInt16:
		return int16(0)
	case data.FieldTypeInt8:
		return int8(0)
	case data.FieldTypeUint64:
		return uint64(0)
	case data.FieldTypeUint32:
		return uint32(0)
	case data.FieldTypeUint16:
		return uint16(0)
	case data.FieldTypeUint8:
		return uint8(0)
	case data.FieldTypeBool:
		return false
	case data.FieldTypeString:
		return ""
	}
	return nil
}
