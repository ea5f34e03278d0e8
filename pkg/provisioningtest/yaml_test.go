package provisioningtest

import (
	"fmt"
	"strconv"
	"strings"
)

// parseYAML reads the block-style YAML subset that Grafana provisioning files use: mappings,
// sequences (of scalars or of mappings), plain scalars (folded over continuation lines), single-
// and double-quoted scalars (also over several lines), empty flow collections ([] and {}), and
// comments. It exists because the module has no YAML dependency and this package may not add one;
// TestYAMLSubset pins its behaviour, and it fails loudly on anything outside the subset.
func parseYAML(src string) (any, error) {
	p := &yamlParser{}
	for i, raw := range strings.Split(strings.ReplaceAll(src, "\t", "    "), "\n") {
		p.lines = append(p.lines, yamlLine{no: i + 1, raw: raw})
	}
	p.skip()
	if p.i >= len(p.lines) {
		return nil, nil
	}
	v, err := p.block(p.indent())
	if err != nil {
		return nil, err
	}
	p.skip()
	if p.i < len(p.lines) {
		return nil, p.errorf("unexpected content")
	}
	return v, nil
}

type yamlLine struct {
	no  int
	raw string
}

type yamlParser struct {
	lines []yamlLine
	i     int
}

func (p *yamlParser) errorf(format string, a ...any) error {
	no := 0
	if p.i < len(p.lines) {
		no = p.lines[p.i].no
	}
	return fmt.Errorf("yaml line %d: %s", no, fmt.Sprintf(format, a...))
}

// skip moves past blank lines, comment lines and the document marker.
func (p *yamlParser) skip() {
	for p.i < len(p.lines) {
		t := strings.TrimSpace(p.lines[p.i].raw)
		if t != "" && !strings.HasPrefix(t, "#") && t != "---" {
			return
		}
		p.i++
	}
}

func (p *yamlParser) indent() int {
	raw := p.lines[p.i].raw
	return len(raw) - len(strings.TrimLeft(raw, " "))
}

func (p *yamlParser) text() string { return strings.TrimSpace(p.lines[p.i].raw) }

func isSeqItem(t string) bool { return t == "-" || strings.HasPrefix(t, "- ") }

// block parses the mapping or sequence whose entries start at column ind.
func (p *yamlParser) block(ind int) (any, error) {
	if isSeqItem(p.text()) {
		return p.sequence(ind)
	}
	return p.mapping(ind, "")
}

func (p *yamlParser) sequence(ind int) (any, error) {
	out := []any{}
	for {
		p.skip()
		if p.i >= len(p.lines) || p.indent() != ind || !isSeqItem(p.text()) {
			if p.i < len(p.lines) && p.indent() > ind {
				return nil, p.errorf("bad indentation in a sequence")
			}
			return out, nil
		}
		rest := strings.TrimSpace(strings.TrimPrefix(p.text(), "-"))
		switch {
		case rest == "":
			p.i++
			p.skip()
			if p.i >= len(p.lines) || p.indent() <= ind {
				out = append(out, nil)
				continue
			}
			v, err := p.block(p.indent())
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		case keyOf(rest) != "":
			// "- key: value": a mapping whose entries sit at the column after "- ".
			after := p.lines[p.i].raw[ind+1:]
			col := ind + 1 + len(after) - len(strings.TrimLeft(after, " "))
			v, err := p.mapping(col, rest)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		default:
			v, err := p.scalar(rest, ind)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
	}
}

// keyOf returns the key of "key: value" or "key:", or "" when t is not a mapping entry.
func keyOf(t string) string {
	if strings.HasPrefix(t, "'") || strings.HasPrefix(t, "\"") || strings.HasPrefix(t, "[") || strings.HasPrefix(t, "{") {
		return ""
	}
	for i := 0; i < len(t); i++ {
		if t[i] == ':' && (i == len(t)-1 || t[i+1] == ' ') {
			return t[:i]
		}
		if t[i] == ' ' && i+1 < len(t) && t[i+1] == '#' {
			return ""
		}
	}
	return ""
}

// mapping parses entries at column ind; first, when set, is the first entry's text (after "- ").
func (p *yamlParser) mapping(ind int, first string) (any, error) {
	out := map[string]any{}
	for {
		var t string
		if first != "" {
			t, first = first, ""
		} else {
			p.skip()
			if p.i >= len(p.lines) || p.indent() < ind {
				return out, nil
			}
			if p.indent() > ind {
				return nil, p.errorf("bad indentation in a mapping")
			}
			t = p.text()
			if isSeqItem(t) {
				return out, nil
			}
		}
		key := keyOf(t)
		if key == "" {
			return nil, p.errorf("expected key: value, got %q", t)
		}
		if _, dup := out[key]; dup {
			return nil, p.errorf("duplicate key %q", key)
		}
		rest := strings.TrimSpace(t[len(key)+1:])
		if rest == "" || strings.HasPrefix(rest, "#") {
			p.i++
			p.skip()
			switch {
			case p.i < len(p.lines) && p.indent() > ind:
				v, err := p.block(p.indent())
				if err != nil {
					return nil, err
				}
				out[key] = v
			case p.i < len(p.lines) && p.indent() == ind && isSeqItem(p.text()):
				v, err := p.sequence(ind)
				if err != nil {
					return nil, err
				}
				out[key] = v
			default:
				out[key] = nil
			}
			continue
		}
		if strings.HasPrefix(rest, "|") || strings.HasPrefix(rest, ">") || strings.HasPrefix(rest, "&") || strings.HasPrefix(rest, "*") || strings.HasPrefix(rest, "!") {
			return nil, p.errorf("block scalars, anchors and tags are outside the supported subset")
		}
		v, err := p.scalar(rest, ind)
		if err != nil {
			return nil, err
		}
		out[key] = v
	}
}

// scalar reads a scalar that starts with s on the current line; continuation lines must be
// indented deeper than ind. It leaves p.i on the line after the scalar.
func (p *yamlParser) scalar(s string, ind int) (any, error) {
	if s[0] == '\'' || s[0] == '"' {
		return p.quoted(s, ind)
	}
	if s == "[]" {
		p.i++
		return []any{}, nil
	}
	if s == "{}" {
		p.i++
		return map[string]any{}, nil
	}
	if s[0] == '[' || s[0] == '{' {
		return nil, p.errorf("flow collections other than [] and {} are outside the supported subset")
	}
	parts := []string{stripComment(s)}
	p.i++
	for p.i < len(p.lines) {
		t := strings.TrimSpace(p.lines[p.i].raw)
		if t == "" || strings.HasPrefix(t, "#") || p.indent() <= ind {
			break
		}
		parts = append(parts, stripComment(t))
		p.i++
	}
	return plainValue(strings.Join(parts, " ")), nil
}

func stripComment(s string) string {
	if i := strings.Index(s, " #"); i >= 0 {
		s = s[:i]
	}
	return strings.TrimSpace(s)
}

func plainValue(s string) any {
	switch s {
	case "", "~", "null", "Null", "NULL":
		return nil
	case "true", "True", "TRUE":
		return true
	case "false", "False", "FALSE":
		return false
	}
	if i, err := strconv.ParseInt(s, 10, 64); err == nil {
		return float64(i)
	}
	if f, err := strconv.ParseFloat(s, 64); err == nil && !strings.ContainsAny(s, "xX_") {
		return f
	}
	return s
}

// quoted reads a single- or double-quoted scalar, folding line breaks into spaces.
func (p *yamlParser) quoted(s string, ind int) (any, error) {
	q := s[0]
	var b strings.Builder
	cur := s[1:]
	for {
		for i := 0; i < len(cur); i++ {
			c := cur[i]
			switch {
			case q == '\'' && c == '\'':
				if i+1 < len(cur) && cur[i+1] == '\'' {
					b.WriteByte('\'')
					i++
					continue
				}
				return p.afterQuoted(b.String(), cur[i+1:])
			case q == '"' && c == '\\' && i+1 < len(cur):
				i++
				switch cur[i] {
				case 'n':
					b.WriteByte('\n')
				case 't':
					b.WriteByte('\t')
				case '"', '\\', '/':
					b.WriteByte(cur[i])
				default:
					return nil, p.errorf("unsupported escape \\%c", cur[i])
				}
			case q == '"' && c == '"':
				return p.afterQuoted(b.String(), cur[i+1:])
			default:
				b.WriteByte(c)
			}
		}
		p.i++
		if p.i >= len(p.lines) {
			return nil, p.errorf("unterminated quoted scalar")
		}
		next := strings.TrimSpace(p.lines[p.i].raw)
		if next == "" {
			b.WriteByte('\n')
			continue
		}
		if p.indent() <= ind {
			return nil, p.errorf("quoted scalar continues at a lower indentation")
		}
		if b.Len() > 0 && !strings.HasSuffix(b.String(), "\n") {
			b.WriteByte(' ')
		}
		cur = next
	}
}

func (p *yamlParser) afterQuoted(v, tail string) (any, error) {
	if t := strings.TrimSpace(tail); t != "" && !strings.HasPrefix(t, "#") {
		return nil, p.errorf("unexpected %q after a quoted scalar", t)
	}
	p.i++
	return v, nil
}
