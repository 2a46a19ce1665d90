package sqlstore

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/keypadauth/keypad"
)

// scanner is what *sql.Row and *sql.Rows have in common.
type scanner interface {
	Scan(dest ...any) error
}

// dbTime is a time's column value: unix microseconds, NULL for the zero
// time.
func dbTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixMicro()
}

// timeCol scans a dbTime column back into a UTC time.
type timeCol struct{ dst *time.Time }

func (c timeCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.dst = time.Time{}
	case int64:
		*c.dst = time.UnixMicro(x).UTC()
	default:
		return fmt.Errorf("time column holds %T, want integer", v)
	}
	return nil
}

// tm scans a time column into dst.
func tm(dst *time.Time) timeCol { return timeCol{dst} }

// dbJSON is a list or document's column value. Marshalling the plain types
// stored this way cannot fail; nil encodes as "null" so nil and empty
// values round-trip apart.
func dbJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(fmt.Sprintf("sqlstore: encode %T: %v", v, err))
	}
	return string(b)
}

// jsonCol scans a dbJSON column into dst.
type jsonCol struct{ dst any }

func (c jsonCol) Scan(v any) error {
	var text string
	switch x := v.(type) {
	case string:
		text = x
	case []byte:
		text = string(x)
	default:
		return fmt.Errorf("json column holds %T, want text", v)
	}
	// The hot reads (clients, tokens, grants) hold string lists and, for
	// most clients, empty options; decoding those by hand saves most of
	// their JSON cost. Anything else goes to encoding/json.
	switch dst := c.dst.(type) {
	case *[]string:
		if list, ok := decodeStrings(text); ok {
			*dst = list
			return nil
		}
	case *keypad.ClientOptions:
		if text == "{}" {
			return nil // as json.Unmarshal: an empty object changes no field
		}
	}
	if err := json.Unmarshal([]byte(text), c.dst); err != nil {
		return fmt.Errorf("decode json column: %w", err)
	}
	return nil
}

// decodeStrings decodes a JSON list of strings as dbJSON writes it
// (compact, no escapes) exactly as json.Unmarshal would; ok is false for
// any other text (escapes, spaces, non-strings, bad UTF-8), which the
// caller hands to json.Unmarshal. The strings share text's memory.
func decodeStrings(text string) (list []string, ok bool) {
	if text == "null" {
		return nil, true
	}
	rest, found := strings.CutPrefix(text, "[")
	if !found {
		return nil, false
	}
	if rest == "]" {
		return []string{}, true
	}
	list = make([]string, 0, strings.Count(rest, ",")+1)
	for {
		rest, found = strings.CutPrefix(rest, `"`)
		if !found {
			return nil, false
		}
		end := strings.IndexByte(rest, '"')
		if end < 0 {
			return nil, false
		}
		v := rest[:end]
		for i := 0; i < len(v); i++ {
			if v[i] < 0x20 || v[i] == '\\' {
				return nil, false
			}
		}
		if !utf8.ValidString(v) {
			return nil, false
		}
		list = append(list, v)
		switch rest = rest[end+1:]; {
		case rest == "]":
			return list, true
		case strings.HasPrefix(rest, ","):
			rest = rest[1:]
		default:
			return nil, false
		}
	}
}

// js scans a JSON column into dst.
func js(dst any) jsonCol { return jsonCol{dst} }

// dbBytes is an optional byte string's column value: NULL when empty.
func dbBytes(b []byte) any {
	if len(b) == 0 {
		return nil
	}
	return b
}

// nullable is an optional unique text's column value: NULL when empty, so
// any number of rows may leave it unset.
func nullable(s string) any {
	if s == "" {
		return nil
	}
	return s
}

// textCol scans a nullable text column, NULL becoming "".
type textCol struct{ dst *string }

func (c textCol) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		*c.dst = ""
	case string:
		*c.dst = x
	case []byte:
		*c.dst = string(x)
	default:
		return fmt.Errorf("text column holds %T", v)
	}
	return nil
}

// txt scans a nullable text column into dst.
func txt(dst *string) textCol { return textCol{dst} }
