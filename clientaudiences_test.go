package keypad

import (
	"errors"
	"fmt"
	"testing"
)

func TestClientValidateAudiences(t *testing.T) {
	ok := fapiClient()
	ok.Options.Audiences = []string{"https://energy.example.com/api", "urn:example:billing"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("registered audiences: %v", err)
	}
	many := make([]string, maxAudiences+1)
	for i := range many {
		many[i] = fmt.Sprintf("https://api%d.example.com/", i)
	}
	for name, auds := range map[string][]string{
		"ErrRelative":  {"/api"},
		"ErrFragment":  {"https://energy.example.com/api#x"},
		"ErrEmpty":     {""},
		"ErrSpace":     {"https://energy.example.com/a b"},
		"ErrDuplicate": {"https://energy.example.com/", "https://energy.example.com/"},
		"ErrTooMany":   many,
	} {
		t.Run(name, func(t *testing.T) {
			c := fapiClient()
			c.Options.Audiences = auds
			var ve *ValidationError
			if err := c.Validate(); !errors.As(err, &ve) || ve.Field != "audiences" {
				t.Errorf("Validate = %v, want a ValidationError on audiences", err)
			}
		})
	}
}
