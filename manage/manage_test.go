package manage

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

func TestFieldErrorRender(t *testing.T) {
	_, err := ClientSpec{Name: "x", GrantTypes: []string{"device_code"}, Public: true, RefreshNoExpiry: true, RefreshTTL: "90d"}.Client()
	var fe *FieldError
	if !errors.As(err, &fe) || fe.Field != "refresh_no_expiry" {
		t.Fatalf("Client() = %v, want a *FieldError about refresh_no_expiry", err)
	}
	flag := fe.Render(func(f string) string { return "--" + strings.ReplaceAll(f, "_", "-") })
	if got, want := flag, "--refresh-no-expiry and --refresh-ttl 90d contradict"; !strings.HasPrefix(got, want) {
		t.Errorf("as flags: %q, want it to start %q", got, want)
	}
	if got, want := fe.Error(), "refresh_no_expiry and refresh_ttl 90d contradict"; !strings.HasPrefix(got, want) {
		t.Errorf("as fields: %q, want it to start %q", got, want)
	}
}

func TestPersonSpec(t *testing.T) {
	t.Run("OK", func(t *testing.T) {
		s := &keypad.Subject{ID: "p1", Email: "old@example.com"}
		p := PersonSpec{Username: " heather ", Phone: "(415) 555-0123", Account: "A-100", PreferredLanguage: "es"}
		if err := p.Apply(s, "US"); err != nil {
			t.Fatal(err)
		}
		if s.Username != "heather" || s.Phone != "+14155550123" || s.Email != "" || len(s.Identifiers) != 2 {
			t.Errorf("applied %+v: want the username trimmed, the phone normalised, the old email gone, 2 identifiers", s)
		}
		back := SpecOfPerson(s)
		if back.Phone != s.Phone || back.Account != "A100" || back.Username != "heather" {
			t.Errorf("SpecOfPerson = %+v", back)
		}
	})
	for name, c := range map[string]struct {
		spec  PersonSpec
		field string
	}{
		"ErrNothing":  {PersonSpec{Name: "x"}, "username"},
		"ErrPhone":    {PersonSpec{Phone: "12"}, "phone"},
		"ErrLanguage": {PersonSpec{Username: "x", PreferredLanguage: "??"}, "preferred_language"},
	} {
		t.Run(name, func(t *testing.T) {
			err := c.spec.Apply(&keypad.Subject{ID: "p1"}, "US")
			var fe *FieldError
			var ve *keypad.ValidationError
			switch {
			case errors.As(err, &fe) && fe.Field == c.field:
			case errors.As(err, &ve) && ve.Field == c.field:
			default:
				t.Errorf("Apply = %v, want an error naming %s", err, c.field)
			}
		})
	}
}

func TestKeyStatus(t *testing.T) {
	now := time.Date(2026, 12, 1, 0, 0, 0, 0, time.UTC)
	for want, k := range map[string]*keypad.SigningKey{
		KeyCurrent:          {},
		KeyRetiredPublished: {RetiredAt: now.Add(-time.Hour)},
		KeyRetiredExpired:   {RetiredAt: now.Add(-48 * time.Hour)},
	} {
		if got := KeyStatus(k, now); got != want {
			t.Errorf("KeyStatus(retired %v) = %q, want %q", k.RetiredAt, got, want)
		}
	}
}
