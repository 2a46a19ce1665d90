package sqlstore

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/keypadauth/keypad"
)

// stringLists are JSON texts a string-list column may hold: what dbJSON
// writes, and what a hand-edited row or another encoder might.
var stringLists = []string{
	`null`, `[]`, `["a"]`, `["read","write"]`, `[""]`, `["",""]`,
	`["urn:ietf:params:oauth:grant-type:device_code","refresh_token"]`,
	`["https://kiosk.example/cb?x=1\u0026y=2"]`, // dbJSON escapes & < >
	`["caf\u00e9","été"]`, `["a\"b"]`, `["a\\b"]`, `["tab\tin"]`,
	`[ "a" ]`, `["a",]`, `["a""b"]`, `["a"]x`, `[1]`, `[null]`, `["a"`, `[`, ``, `"a"`,
	"[\"\xff\"]", "[\"a\x01\"]", `{}`, `nul`,
}

// TestDecodeStrings checks the hand decoder against encoding/json: where
// it answers, it answers exactly as json.Unmarshal does (nil against
// empty included).
func TestDecodeStrings(t *testing.T) {
	for _, text := range stringLists {
		t.Run(text, func(t *testing.T) { checkDecodeStrings(t, text) })
	}
	// What dbJSON writes always takes the fast path.
	for _, list := range [][]string{nil, {}, {"read", "write"}, {"", "é"}} {
		if _, ok := decodeStrings(dbJSON(list)); !ok {
			t.Errorf("decodeStrings(%s) fell back to encoding/json", dbJSON(list))
		}
	}
}

func FuzzDecodeStrings(f *testing.F) {
	for _, text := range stringLists {
		f.Add(text)
	}
	f.Fuzz(checkDecodeStrings)
}

func checkDecodeStrings(t *testing.T, text string) {
	t.Helper()
	got, ok := decodeStrings(text)
	if !ok {
		return
	}
	var want []string
	if err := json.Unmarshal([]byte(text), &want); err != nil {
		t.Fatalf("decodeStrings(%q) = %q, but json.Unmarshal fails: %v", text, got, err)
	}
	if !reflect.DeepEqual(got, want) || (got == nil) != (want == nil) {
		t.Fatalf("decodeStrings(%q) = %#v, want %#v", text, got, want)
	}
}

// TestJSONColumn checks that every column type scans as json.Unmarshal
// decodes it, whether the fast paths apply or not.
func TestJSONColumn(t *testing.T) {
	for _, tc := range []struct {
		name string
		text string
		dst  func() any
	}{
		{"StringsOK", `["read","write"]`, func() any { return new([]string) }},
		{"StringsNull", `null`, func() any { return new([]string) }},
		{"StringsEmpty", `[]`, func() any { return new([]string) }},
		{"StringsEscaped", `["a\u003cb"]`, func() any { return new([]string) }},
		{"OptionsEmpty", `{}`, func() any { return new(keypad.ClientOptions) }},
		{"OptionsSet", `{"always_consent":true,"refresh_idle_ttl":5}`, func() any { return new(keypad.ClientOptions) }},
		{"Identifiers", `[{"Type":"email","Value":"a@example.com"}]`, func() any { return new([]keypad.Identifier) }},
		{"Map", `{}`, func() any { return new(map[string]string) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			for _, src := range []any{tc.text, []byte(tc.text)} {
				got, want := tc.dst(), tc.dst()
				if err := js(got).Scan(src); err != nil {
					t.Fatalf("scan %T %s: %v", src, tc.text, err)
				}
				if err := json.Unmarshal([]byte(tc.text), want); err != nil {
					t.Fatal(err)
				}
				if !reflect.DeepEqual(got, want) {
					t.Errorf("scan %T %s = %#v, want %#v", src, tc.text, got, want)
				}
			}
		})
	}
	t.Run("ErrNotText", func(t *testing.T) {
		if err := js(new([]string)).Scan(int64(1)); err == nil {
			t.Error("an integer scanned into a JSON column")
		}
	})
	t.Run("ErrBadJSON", func(t *testing.T) {
		if err := js(new([]string)).Scan(`["a",`); err == nil {
			t.Error("truncated JSON scanned without error")
		}
	})
}
