package store

import (
	"context"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"

	"github.com/peermetrics/grafana-datasource/pkg/frames"
	"github.com/peermetrics/grafana-datasource/pkg/query"
)

type colKind int

const (
	kStr colKind = iota
	kTime
	kInt
	kFloat
	kBool
)

// tcol is one output column of a list: its field name, display name, unit, Go kind and whether
// it may be NULL (nullable fields keep NULL; the others read a NULL as the zero value).
type tcol struct {
	name, display, unit string
	kind                colKind
	null                bool
}

// colNames lists the column names for pageSQL.
func colNames(cols []tcol) []string {
	out := make([]string, len(cols))
	for i, c := range cols {
		out[i] = c.name
	}
	return out
}

// runTable runs a pageSQL statement and builds a table frame from its rows. The first column
// after the total identifies a row: when it is NULL the row is the empty page's placeholder.
func (s *Store) runTable(ctx context.Context, name string, q query.Query, sql string, args []any, cols []tcol) (*data.Frame, int64, error) {
	fields := make([]*data.Field, len(cols))
	for i, c := range cols {
		var v any
		switch {
		case c.kind == kStr && c.null:
			v = []*string{}
		case c.kind == kStr:
			v = []string{}
		case c.kind == kTime && c.null:
			v = []*time.Time{}
		case c.kind == kTime:
			v = []time.Time{}
		case c.kind == kInt && c.null:
			v = []*int64{}
		case c.kind == kInt:
			v = []int64{}
		case c.kind == kFloat && c.null:
			v = []*float64{}
		case c.kind == kFloat:
			v = []float64{}
		case c.kind == kBool:
			v = []bool{}
		}
		fields[i] = frames.Config(data.NewField(c.name, nil, v), c.display, c.unit)
	}
	rows, err := s.db.Query(ctx, sql, args...)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	var total int64
	for rows.Next() {
		dst := make([]any, len(cols)+1)
		dst[0] = &total
		for i, c := range cols {
			switch c.kind {
			case kStr:
				dst[i+1] = new(*string)
			case kTime:
				dst[i+1] = new(*time.Time)
			case kInt:
				dst[i+1] = new(*int64)
			case kFloat:
				dst[i+1] = new(*float64)
			case kBool:
				dst[i+1] = new(*bool)
			}
		}
		if err := rows.Scan(dst...); err != nil {
			return nil, 0, err
		}
		if isNilDest(dst[1]) {
			continue // the empty page: only the total
		}
		for i, c := range cols {
			switch p := dst[i+1].(type) {
			case **string:
				if c.null {
					fields[i].Append(*p)
				} else {
					fields[i].Append(derefZero(*p))
				}
			case **time.Time:
				if c.null {
					fields[i].Append(*p)
				} else {
					fields[i].Append(derefZero(*p))
				}
			case **int64:
				if c.null {
					fields[i].Append(*p)
				} else {
					fields[i].Append(derefZero(*p))
				}
			case **float64:
				if c.null {
					fields[i].Append(*p)
				} else {
					fields[i].Append(derefZero(*p))
				}
			case **bool:
				fields[i].Append(derefZero(*p))
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	f := data.NewFrame(name, fields...)
	frames.Meta(f, data.FrameTypeTable, data.VisTypeTable, sql, args)
	pageNotes(f, q, total)
	return f, total, nil
}

func derefZero[T any](p *T) T {
	var zero T
	if p == nil {
		return zero
	}
	return *p
}

// frameField returns a frame's field by name (nil when absent).
func frameField(f *data.Frame, name string) *data.Field {
	fld, _ := f.FieldByName(name)
	return fld
}

// isNilDest reports whether a scanned **T holds NULL.
func isNilDest(d any) bool {
	switch p := d.(type) {
	case **string:
		return *p == nil
	case **time.Time:
		return *p == nil
	case **int64:
		return *p == nil
	case **float64:
		return *p == nil
	case **bool:
		return *p == nil
	}
	return true
}
