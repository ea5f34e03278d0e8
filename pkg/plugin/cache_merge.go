package plugin

import (
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

// sliceFrames keeps the rows of each frame whose time lies in [from, to), with every field (names,
// labels, config with its links) and the frame meta, so a piece stands on its own in the cache.
func sliceFrames(fs data.Frames, from, to time.Time) data.Frames {
	out := make(data.Frames, 0, len(fs))
	for _, f := range fs {
		ti := timeField(f)
		nf := data.NewFrame(f.Name)
		nf.RefID = f.RefID
		nf.Meta = f.Meta
		for _, fld := range f.Fields {
			c := data.NewFieldFromFieldType(fld.Type(), 0)
			c.Name, c.Labels, c.Config = fld.Name, fld.Labels, fld.Config
			nf.Fields = append(nf.Fields, c)
		}
		for r := 0; r < f.Rows(); r++ {
			t, ok := timeAt(f.Fields[ti], r)
			if !ok || t.Before(from) || !t.Before(to) {
				continue
			}
			for i, fld := range f.Fields {
				nf.Fields[i].Append(fld.CopyAt(r))
			}
		}
		// A series without any value in this piece (a group the store reported for other buckets of
		// its range) is left out, as the store would leave it out for this range alone; merging fills
		// it back with zeros or nulls where another piece has it.
		kept := nf.Fields[:0]
		for _, fld := range nf.Fields {
			if len(fld.Labels) == 0 || !allEmpty(fld) {
				kept = append(kept, fld)
			}
		}
		nf.Fields = kept
		out = append(out, nf)
	}
	return out
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
			present int
		}
		var cols []*col
		byKey := map[string]*col{}
		for _, f := range g.frames {
			for _, fld := range f.Fields {
				k := fieldKey(fld)
				c := byKey[k]
				if c == nil {
					c = &col{out: fld}
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
			for _, f := range g.frames {
				var src *data.Field
				for _, fld := range f.Fields {
					if fieldKey(fld) == fieldKey(c.out) {
						src = fld
						break
					}
				}
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
