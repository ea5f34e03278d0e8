package webrtcstats

import (
	"bytes"
	"encoding/json"
	"errors"
	"math"
	"strconv"
	"strings"
)

// Errors returned by the JSON value readers. None of the readers panics on any input.
var (
	// ErrAbsent: the value is JSON null or empty; the field is simply not reported.
	ErrAbsent = errors.New("webrtcstats: value absent")
	// ErrNotNumber: the value is neither a JSON number nor a string holding a decimal number
	// (garbage, NaN, Infinity, hex, booleans, objects...).
	ErrNotNumber = errors.New("webrtcstats: not a number")
	// ErrNegative: a counter was negative.
	ErrNegative = errors.New("webrtcstats: negative counter")
	// ErrNotInteger: a counter had a fractional part.
	ErrNotInteger = errors.New("webrtcstats: counter is not an integer")
	// ErrRange: the value does not fit the target type (above 2^64−1 for a counter, not finite).
	ErrRange = errors.New("webrtcstats: value out of range")
)

// Counter is an unsigned cumulative counter as read from a stats report. Valid is false when the
// field was absent or unreadable; an invalid counter never yields a rate.
type Counter struct {
	Value uint64
	Valid bool
}

// SignedCounter is a cumulative counter that may legitimately be negative: RTP packetsLost counts
// duplicates against losses (RFC 3550 §6.4.1), so it can go below zero. Its deltas are still required
// to be non-negative.
type SignedCounter struct {
	Value int64
	Valid bool
}

// Gauge is a floating-point value from a stats report: an instantaneous value (jitter, roundTripTime,
// frameHeight) or a cumulative float total (jitterBufferDelay, totalRoundTripTime, in seconds).
type Gauge struct {
	Value float64
	Valid bool
}

// ReadCounter reads raw JSON into a Counter, invalid on any error.
func ReadCounter(raw []byte) Counter {
	v, err := ParseCounter(raw)
	return Counter{Value: v, Valid: err == nil}
}

// ReadSignedCounter reads raw JSON into a SignedCounter, invalid on any error.
func ReadSignedCounter(raw []byte) SignedCounter {
	v, err := ParseSignedCounter(raw)
	return SignedCounter{Value: v, Valid: err == nil}
}

// ReadGauge reads raw JSON into a Gauge, invalid on any error.
func ReadGauge(raw []byte) Gauge {
	v, err := ParseGauge(raw)
	return Gauge{Value: v, Valid: err == nil}
}

// numberText extracts the numeric text of a raw JSON value: a JSON number as is, or the content of a
// JSON string (surrounding spaces and a BigInt "n" suffix removed). null/empty → ErrAbsent.
func numberText(raw []byte) (string, error) {
	raw = bytes.TrimSpace(raw)
	if len(raw) == 0 || string(raw) == "null" {
		return "", ErrAbsent
	}
	if raw[0] == '"' {
		var s string
		if err := json.Unmarshal(raw, &s); err != nil {
			return "", ErrNotNumber
		}
		s = strings.TrimSpace(s)
		s = strings.TrimSuffix(s, "n") // BigInt.prototype.toString() never adds it, String(x)+"n" does
		if s == "" {
			return "", ErrNotNumber
		}
		return s, nil
	}
	return string(raw), nil
}

// decimalParts splits a decimal literal "-?digits(.digits)?([eE][+-]?digits)?" (leading zeros
// allowed, as numeric strings may carry them). ok is false for anything else, which excludes NaN,
// Inf, hex and Go's underscore syntax that strconv would otherwise accept.
func decimalParts(s string) (neg bool, intPart, frac, exp string, ok bool) {
	if strings.HasPrefix(s, "-") {
		neg, s = true, s[1:]
	} else if strings.HasPrefix(s, "+") {
		s = s[1:]
	}
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	if i == 0 {
		return false, "", "", "", false
	}
	intPart, s = s[:i], s[i:]
	if strings.HasPrefix(s, ".") {
		j := 1
		for j < len(s) && s[j] >= '0' && s[j] <= '9' {
			j++
		}
		frac, s = s[1:j], s[j:]
	}
	if len(s) > 0 && (s[0] == 'e' || s[0] == 'E') {
		j := 1
		if j < len(s) && (s[j] == '+' || s[j] == '-') {
			j++
		}
		k := j
		for k < len(s) && s[k] >= '0' && s[k] <= '9' {
			k++
		}
		if k == j {
			return false, "", "", "", false
		}
		exp, s = s[1:k], s[k:]
	}
	if s != "" {
		return false, "", "", "", false
	}
	return neg, intPart, frac, exp, true
}

// parseMagnitude reads an integer-valued decimal literal exactly when it is written in plain digits
// (optionally with an all-zero fraction) and through float64 when it has an exponent (such a literal
// comes from a JavaScript double, which was already rounded).
func parseMagnitude(s string) (neg bool, mag uint64, err error) {
	neg, intPart, frac, exp, ok := decimalParts(s)
	if !ok {
		return false, 0, ErrNotNumber
	}
	if exp == "" && strings.Trim(frac, "0") == "" {
		mag, err := strconv.ParseUint(intPart, 10, 64)
		if err != nil {
			return neg, 0, ErrRange
		}
		return neg && mag != 0, mag, nil
	}
	if exp == "" {
		return neg, 0, ErrNotInteger
	}
	f, perr := strconv.ParseFloat(strings.TrimPrefix(strings.TrimPrefix(s, "-"), "+"), 64)
	if perr != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return neg, 0, ErrRange
	}
	if f != math.Trunc(f) {
		return neg, 0, ErrNotInteger
	}
	if f >= 1<<64 {
		return neg, 0, ErrRange
	}
	mag = uint64(f)
	return neg && mag != 0, mag, nil
}

// ParseCounter reads an unsigned counter from raw JSON: a JSON number or a string holding a decimal
// number ("123", "18446744073709551615", "1e3", "42n"). Plain integers are parsed exactly up to
// 2^64−1 (no float64 rounding beyond 2^53); an all-zero fraction ("10.0") is accepted. It rejects
// null (ErrAbsent), negative values, fractions, NaN/Infinity, values above 2^64−1 and anything else
// without panicking. A json.Number n is read with ParseCounter([]byte(n)).
func ParseCounter(raw []byte) (uint64, error) {
	s, err := numberText(raw)
	if err != nil {
		return 0, err
	}
	neg, mag, err := parseMagnitude(s)
	if err != nil {
		return 0, err
	}
	if neg {
		return 0, ErrNegative
	}
	return mag, nil
}

// ParseSignedCounter is ParseCounter for counters that may be negative (packetsLost); the value must
// fit an int64.
func ParseSignedCounter(raw []byte) (int64, error) {
	s, err := numberText(raw)
	if err != nil {
		return 0, err
	}
	neg, mag, err := parseMagnitude(s)
	if err != nil {
		return 0, err
	}
	if neg {
		if mag > 1<<63 {
			return 0, ErrRange
		}
		return int64(-mag), nil // -(1<<63) wraps to math.MinInt64 as intended
	}
	if mag > math.MaxInt64 {
		return 0, ErrRange
	}
	return int64(mag), nil
}

// ParseGauge reads a finite float64 from raw JSON (number or numeric string). NaN, ±Inf, null and
// garbage are rejected.
func ParseGauge(raw []byte) (float64, error) {
	s, err := numberText(raw)
	if err != nil {
		return 0, err
	}
	if _, _, _, _, ok := decimalParts(s); !ok {
		return 0, ErrNotNumber
	}
	f, perr := strconv.ParseFloat(s, 64)
	if perr != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return 0, ErrRange
	}
	return f, nil
}
