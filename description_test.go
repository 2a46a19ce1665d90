package keypad_test

import (
	"testing"

	"github.com/keypadauth/keypad"
)

func TestDescriptionsIn(t *testing.T) {
	d := keypad.Descriptions{"es": "Ver sus listas", "pt-BR": "Ver suas listas"}
	for _, tt := range []struct{ tag, want string }{
		{"es", "Ver sus listas"},
		{"es-MX", "Ver sus listas"},
		{"pt-BR", "Ver suas listas"},
		{"pt", "See your playlists"},
		{"en", "See your playlists"},
		{"", "See your playlists"},
		{"not a tag", "See your playlists"},
	} {
		sc := keypad.Scope{Name: "playlists:read", Description: "See your playlists", Descriptions: d}
		if got := sc.DescriptionIn(tt.tag); got != tt.want {
			t.Errorf("DescriptionIn(%q) = %q, want %q", tt.tag, got, tt.want)
		}
	}
	c := keypad.Client{Description: "Plays music"}
	if got := c.DescriptionIn("es"); got != "Plays music" {
		t.Errorf("a client without descriptions: %q", got)
	}
}

func TestDescriptionsValidate(t *testing.T) {
	for _, tt := range []struct {
		name, field, want string
		d                 keypad.Descriptions
	}{
		{"OK", "", "", keypad.Descriptions{"es": "Ver sus listas", "pt-BR": "Ver suas listas"}},
		{"ErrTag", "descriptions", "not a language tag", keypad.Descriptions{"spanish please": "x"}},
		{"ErrNotCanonical", "descriptions", "canonical form", keypad.Descriptions{"ES": "x"}},
		{"ErrEmpty", "descriptions", "is empty", keypad.Descriptions{"es": " "}},
		{"ErrControl", "descriptions", "control character", keypad.Descriptions{"es": "Ver\nsus listas"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			sc := keypad.Scope{Name: "playlists:read", Description: "See your playlists", Descriptions: tt.d}
			wantInvalid(t, sc.Validate(), tt.field, tt.want)
			c := keypad.Client{ID: "tv", Name: "TV", Public: true, GrantTypes: []string{keypad.GrantDeviceCode}, Descriptions: tt.d}
			wantInvalid(t, c.Validate(), tt.field, tt.want)
		})
	}
}
