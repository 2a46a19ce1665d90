package token

import (
	"encoding/json"
	"reflect"
	"testing"
)

// tricky are strings encoding/json escapes in its own ways.
var tricky = []string{
	"", "plain", "a b", `quote"`, `back\slash`, "<script>&amp;", "tab\tnew\nline\r",
	"\x00\x1f\x7f", "é ü 日本", "\u2028\u2029", "bad utf-8 \xff\xfe", "urn:x:y/z?q=1#f",
}

// TestAccessClaimsJSON holds appendJSON to encoding/json's output, byte
// for byte, for each field set and unset, with strings it escapes. Every
// field is set through reflection, so a field added to AccessClaims and
// not to appendJSON fails here.
func TestAccessClaimsJSON(t *testing.T) {
	check := func(c AccessClaims) {
		t.Helper()
		want, err := json.Marshal(c)
		if err != nil {
			t.Fatal(err)
		}
		if got := c.appendJSON(nil); string(got) != string(want) {
			t.Errorf("appendJSON(%+v)\n got %s\nwant %s", c, got, want)
		}
	}
	// All zero, then each field on its own, then all of them.
	check(AccessClaims{})
	var all AccessClaims
	v := reflect.ValueOf(&all).Elem()
	for i := range v.NumField() {
		for j, s := range tricky {
			var one AccessClaims
			setField(t, reflect.ValueOf(&one).Elem().Field(i), s, int64(j+1))
			check(one)
			setField(t, v.Field(i), s, int64(j)*1_000_000_007)
			check(all)
		}
	}
	for _, aud := range []Audience{nil, {}, {"a"}, {"a", "b<"}, {"", "x"}} {
		all.Audience = aud
		check(all)
	}
	all.Cnf = &Confirmation{}
	check(all)
}

// setField sets a field of AccessClaims to s (or, for numbers, n).
func setField(t *testing.T, f reflect.Value, s string, n int64) {
	t.Helper()
	switch f.Kind() {
	case reflect.String:
		f.SetString(s)
	case reflect.Int64:
		f.SetInt(n)
	case reflect.Slice: // Audience
		f.Set(reflect.ValueOf(Audience{s, s + "2"}))
	case reflect.Pointer: // Cnf
		f.Set(reflect.ValueOf(&Confirmation{JKT: s}))
	default:
		t.Fatalf("AccessClaims has a %s field: teach appendJSON and this test about it", f.Kind())
	}
}
