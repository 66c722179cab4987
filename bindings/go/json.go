package vwo

import (
	"bytes"
	"encoding/json"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"
	"unicode/utf8"
)

// appendJSON appends the JSON encoding of v to b. It is a fast path for the values that
// contexts, properties and options are made of (maps, slices, strings, numbers, booleans)
// and falls back to encoding/json for anything else. Functions and channels are errors.
func appendJSON(b []byte, v interface{}) ([]byte, error) {
	switch x := v.(type) {
	case nil:
		return append(b, "null"...), nil
	case string:
		return appendString(b, x), nil
	case bool:
		if x {
			return append(b, "true"...), nil
		}
		return append(b, "false"...), nil
	case int:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int64:
		return strconv.AppendInt(b, x, 10), nil
	case int32:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int16:
		return strconv.AppendInt(b, int64(x), 10), nil
	case int8:
		return strconv.AppendInt(b, int64(x), 10), nil
	case uint:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint64:
		return strconv.AppendUint(b, x, 10), nil
	case uint32:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint16:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case uint8:
		return strconv.AppendUint(b, uint64(x), 10), nil
	case float64:
		return appendFloat(b, x, 64)
	case float32:
		return appendFloat(b, float64(x), 32)
	case json.Number:
		if x == "" {
			return append(b, '0'), nil
		}
		return append(b, x...), nil
	case json.RawMessage:
		if len(x) == 0 {
			return append(b, "null"...), nil
		}
		return append(b, x...), nil
	case map[string]interface{}:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '{')
		first := true
		var err error
		for k, e := range x {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendString(b, k)
			b = append(b, ':')
			if b, err = appendJSON(b, e); err != nil {
				return b, fmt.Errorf("%s: %w", k, err)
			}
		}
		return append(b, '}'), nil
	case map[string]string:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '{')
		first := true
		for k, e := range x {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = appendString(b, k)
			b = append(b, ':')
			b = appendString(b, e)
		}
		return append(b, '}'), nil
	case []interface{}:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		var err error
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			if b, err = appendJSON(b, e); err != nil {
				return b, err
			}
		}
		return append(b, ']'), nil
	case []string:
		if x == nil {
			return append(b, "null"...), nil
		}
		b = append(b, '[')
		for i, e := range x {
			if i > 0 {
				b = append(b, ',')
			}
			b = appendString(b, e)
		}
		return append(b, ']'), nil
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Func, reflect.Chan, reflect.UnsafePointer, reflect.Complex64, reflect.Complex128:
		return b, fmt.Errorf("a %T cannot be sent as JSON", v)
	}
	out, err := json.Marshal(v)
	if err != nil {
		return b, err
	}
	return append(b, out...), nil
}

func appendFloat(b []byte, f float64, bits int) ([]byte, error) {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return b, fmt.Errorf("unsupported number %v", f)
	}
	// As encoding/json: integral values print without a fraction (so 50.0 is the integer 50).
	abs := math.Abs(f)
	format := byte('f')
	if abs != 0 && (bits == 64 && (abs < 1e-6 || abs >= 1e21) || bits == 32 && (float32(abs) < 1e-6 || float32(abs) >= 1e21)) {
		format = 'e'
	}
	return strconv.AppendFloat(b, f, format, -1, bits), nil
}

const hexDigits = "0123456789abcdef"

// appendString appends s as a JSON string; invalid UTF-8 becomes U+FFFD (as encoding/json).
func appendString(b []byte, s string) []byte {
	b = append(b, '"')
	start := 0
	for i := 0; i < len(s); {
		c := s[i]
		if c < utf8.RuneSelf {
			if c >= 0x20 && c != '"' && c != '\\' {
				i++
				continue
			}
			b = append(b, s[start:i]...)
			switch c {
			case '"', '\\':
				b = append(b, '\\', c)
			case '\n':
				b = append(b, '\\', 'n')
			case '\r':
				b = append(b, '\\', 'r')
			case '\t':
				b = append(b, '\\', 't')
			default:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			}
			i++
			start = i
			continue
		}
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, s[start:i]...)
			b = append(b, `\ufffd`...)
			i += size
			start = i
			continue
		}
		i += size
	}
	b = append(b, s[start:]...)
	return append(b, '"')
}

// decodeObject parses a JSON object into a map whose integral numbers are int (the official
// SDK's records and payloads carry Go ints) and other numbers float64.
func decodeObject(text string) (map[string]interface{}, error) {
	dec := json.NewDecoder(strings.NewReader(text))
	dec.UseNumber()
	var m map[string]interface{}
	if err := dec.Decode(&m); err != nil {
		return nil, err
	}
	if m == nil {
		return nil, fmt.Errorf("null is not an object")
	}
	intsInPlace(m)
	return m, nil
}

func intsInPlace(v interface{}) interface{} {
	switch x := v.(type) {
	case json.Number:
		s := string(x)
		if !strings.ContainsAny(s, ".eE") {
			if n, err := strconv.ParseInt(s, 10, 64); err == nil && n == int64(int(n)) {
				return int(n)
			}
		}
		f, _ := x.Float64()
		return f
	case map[string]interface{}:
		for k, e := range x {
			x[k] = intsInPlace(e)
		}
	case []interface{}:
		for i, e := range x {
			x[i] = intsInPlace(e)
		}
	}
	return v
}

// variable is a decoded flag variable: the value as encoding/json decodes it (float64 for
// numbers, map[string]interface{} for json variables), as the official SDK holds it.
type variable struct {
	id    int
	key   string
	typ   string
	value interface{}
}

func decodeVariables(text []byte) ([]variable, error) {
	if len(text) == 0 || bytes.Equal(text, []byte("[]")) {
		return nil, nil
	}
	var raw []struct {
		ID    json.Number `json:"id"`
		Key   string      `json:"key"`
		Type  string      `json:"type"`
		Value interface{} `json:"value"`
	}
	if err := json.Unmarshal(text, &raw); err != nil {
		return nil, err
	}
	out := make([]variable, len(raw))
	for i, r := range raw {
		id, err := strconv.Atoi(string(r.ID))
		if err != nil {
			if f, ferr := r.ID.Float64(); ferr == nil {
				id = int(f)
			}
		}
		out[i] = variable{id: id, key: r.Key, typ: r.Type, value: r.Value}
	}
	return out, nil
}
