package cache

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/grafana/grafana-plugin-sdk-go/data"
	"github.com/klauspost/compress/zstd"
)

// FormatVersion is part of every key: bump it when the stored layout or the frames change shape,
// and old entries are simply never read again.
const FormatVersion = "1"

// Prefix starts every key, so the plugin's entries are easy to find (and to flush) in a shared Redis.
const Prefix = "pm:v" + FormatVersion + ":"

// Key hashes parts (each length-prefixed, so ("ab","c") ≠ ("a","bc")) into Prefix + kind + ":" +
// sha256 hex. kind is a short namespace: q (query result), b (time-series bucket), j (JSON), and
// lock keys are "lock:" + the key they protect.
func Key(kind string, parts ...string) string {
	h := sha256.New()
	h.Write([]byte(FormatVersion))
	var n [binary.MaxVarintLen64]byte
	for _, p := range parts {
		h.Write(n[:binary.PutUvarint(n[:], uint64(len(p)))])
		h.Write([]byte(p))
	}
	return Prefix + kind + ":" + hex.EncodeToString(h.Sum(nil))
}

// Envelope layout: version byte, flags byte, soft expiry (unix ms, big endian int64), payload.
const (
	envVersion   = 1
	flagZstd     = 1
	headerLen    = 10
	compressFrom = 4 << 10
)

var (
	encOnce sync.Once
	zenc    *zstd.Encoder
	zdec    *zstd.Decoder
)

func codecs() (*zstd.Encoder, *zstd.Decoder) {
	encOnce.Do(func() {
		zenc, _ = zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedDefault), zstd.WithEncoderConcurrency(1))
		zdec, _ = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(256<<20))
	})
	return zenc, zdec
}

// seal wraps a payload with its soft expiry, compressing it when larger than compressFrom.
func seal(payload []byte, soft time.Time) []byte {
	flags := byte(0)
	if len(payload) > compressFrom {
		enc, _ := codecs()
		if z := enc.EncodeAll(payload, make([]byte, 0, len(payload)/3)); len(z) < len(payload) {
			payload, flags = z, flagZstd
		}
	}
	out := make([]byte, headerLen, headerLen+len(payload))
	out[0], out[1] = envVersion, flags
	binary.BigEndian.PutUint64(out[2:], uint64(soft.UnixMilli()))
	return append(out, payload...)
}

var errBadEnvelope = errors.New("cache: unreadable entry")

// open unwraps an envelope.
func open(b []byte) (payload []byte, soft time.Time, err error) {
	if len(b) < headerLen || b[0] != envVersion {
		return nil, time.Time{}, errBadEnvelope
	}
	soft = time.UnixMilli(int64(binary.BigEndian.Uint64(b[2:])))
	payload = b[headerLen:]
	if b[1]&flagZstd != 0 {
		_, dec := codecs()
		payload, err = dec.DecodeAll(payload, nil)
		if err != nil {
			return nil, time.Time{}, fmt.Errorf("%w: %v", errBadEnvelope, err)
		}
	}
	return payload, soft, nil
}

// EncodeFrames serialises frames exactly (values, nulls, labels, field config with links, meta) as
// Arrow IPC, one blob per frame, each length-prefixed.
func EncodeFrames(fs data.Frames) ([]byte, error) {
	blobs, err := fs.MarshalArrow()
	if err != nil {
		return nil, fmt.Errorf("cache: encode frames: %w", err)
	}
	size := binary.MaxVarintLen64
	for _, b := range blobs {
		size += binary.MaxVarintLen64 + len(b)
	}
	out := make([]byte, 0, size)
	out = binary.AppendUvarint(out, uint64(len(blobs)))
	for _, b := range blobs {
		out = binary.AppendUvarint(out, uint64(len(b)))
		out = append(out, b...)
	}
	return out, nil
}

// DecodeFrames reverses EncodeFrames; every call returns new frames that the caller may modify.
func DecodeFrames(b []byte) (data.Frames, error) {
	n, k := binary.Uvarint(b)
	if k <= 0 || n > 1<<20 {
		return nil, errBadEnvelope
	}
	b = b[k:]
	blobs := make([][]byte, 0, n)
	for i := uint64(0); i < n; i++ {
		l, k := binary.Uvarint(b)
		if k <= 0 || uint64(len(b)-k) < l {
			return nil, errBadEnvelope
		}
		blobs = append(blobs, b[k:k+int(l)])
		b = b[k+int(l):]
	}
	if len(blobs) == 0 {
		return data.Frames{}, nil
	}
	return data.UnmarshalArrowFrames(blobs)
}
