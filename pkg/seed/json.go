package seed

import (
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"time"
)

// uuid is a version-4 UUID drawn from the generator's PCG stream.
type uuid [16]byte

func newUUID(r *rand.Rand) uuid {
	var u uuid
	hi, lo := r.Uint64(), r.Uint64()
	for i := 0; i < 8; i++ {
		u[i] = byte(hi >> (56 - 8*i))
		u[8+i] = byte(lo >> (56 - 8*i))
	}
	u[6] = u[6]&0x0f | 0x40
	u[8] = u[8]&0x3f | 0x80
	return u
}

func (u uuid) String() string { return string(u.appendTo(nil)) }

func (u uuid) appendTo(b []byte) []byte {
	var s [36]byte
	hex.Encode(s[0:8], u[0:4])
	s[8] = '-'
	hex.Encode(s[9:13], u[4:6])
	s[13] = '-'
	hex.Encode(s[14:18], u[6:8])
	s[18] = '-'
	hex.Encode(s[19:23], u[8:10])
	s[23] = '-'
	hex.Encode(s[24:36], u[10:16])
	return append(b, s[:]...)
}

// jw is a small append-only JSON writer: deterministic and allocation-light, which matters for the
// millions of stats documents of the seed30 profile.
type jw struct {
	b     []byte
	comma bool
}

func (w *jw) sep() {
	if w.comma {
		w.b = append(w.b, ',')
	}
}

func (w *jw) key(k string) {
	w.sep()
	w.b = appendJSONString(w.b, k)
	w.b = append(w.b, ':')
	w.comma = false
}

func (w *jw) open()  { w.sep(); w.b = append(w.b, '{'); w.comma = false }
func (w *jw) close() { w.b = append(w.b, '}'); w.comma = true }
func (w *jw) arr()   { w.sep(); w.b = append(w.b, '['); w.comma = false }
func (w *jw) end()   { w.b = append(w.b, ']'); w.comma = true }

func (w *jw) obj(k string) { w.key(k); w.open() }
func (w *jw) list(k string) {
	w.key(k)
	w.arr()
}

func (w *jw) strv(v string) { w.sep(); w.b = appendJSONString(w.b, v); w.comma = true }
func (w *jw) str(k, v string) {
	w.key(k)
	w.strv(v)
}
func (w *jw) int(k string, v int64) {
	w.key(k)
	w.b = strconv.AppendInt(w.b, v, 10)
	w.comma = true
}
func (w *jw) intv(v int64) { w.sep(); w.b = strconv.AppendInt(w.b, v, 10); w.comma = true }
func (w *jw) num(k string, v float64, prec int) {
	w.key(k)
	w.b = strconv.AppendFloat(w.b, v, 'f', prec, 64)
	w.comma = true
}
func (w *jw) bool(k string, v bool) {
	w.key(k)
	w.b = strconv.AppendBool(w.b, v)
	w.comma = true
}
func (w *jw) null(k string) { w.key(k); w.b = append(w.b, "null"...); w.comma = true }
func (w *jw) time(k string, t time.Time) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = t.UTC().AppendFormat(w.b, "2006-01-02T15:04:05.000Z")
	w.b = append(w.b, '"')
	w.comma = true
}
func (w *jw) uuid(k string, u uuid) {
	w.key(k)
	w.b = append(w.b, '"')
	w.b = u.appendTo(w.b)
	w.b = append(w.b, '"')
	w.comma = true
}
func (w *jw) raw(k string, v []byte) { w.key(k); w.b = append(w.b, v...); w.comma = true }

// bytes returns a copy of the document and resets the writer for the next one.
func (w *jw) bytes() []byte {
	out := make([]byte, len(w.b))
	copy(out, w.b)
	w.b = w.b[:0]
	w.comma = false
	return out
}

func appendJSONString(b []byte, s string) []byte {
	const hexd = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hexd[c>>4], hexd[c&15])
		default:
			b = append(b, c)
		}
	}
	return append(b, '"')
}
