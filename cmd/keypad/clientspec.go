package main

import (
	"errors"
	"fmt"
	"strings"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/manage"
)

// clientSpec is what `keypad client create` or `update` was asked for:
// the registration (manage.ClientSpec, read the same way by the admin
// API), and the file of --assertion-keys or --jwks.
type clientSpec struct {
	manage.ClientSpec
	// AssertionKeys names the file with the client's public keys, or is
	// noKeys to remove them; "" keeps the keys of the embedded spec (the
	// client's own, on update). It shadows the embedded JWK Set, which
	// client fills from it.
	AssertionKeys string
}

// specOf is the spec that would create c (ID and Public included), for
// update to change only what it is told.
func specOf(c *keypad.Client) clientSpec {
	return clientSpec{ClientSpec: manage.SpecOf(c)}
}

// client reads the keys file and returns the client the spec describes
// (without ID, secret or times), each error naming the flag.
func (s clientSpec) client() (*keypad.Client, error) {
	switch s.AssertionKeys {
	case "":
	case noKeys:
		s.ClientSpec.AssertionKeys = nil
	default:
		doc, err := readAssertionKeys(s.AssertionKeys)
		if err != nil {
			return nil, err
		}
		s.ClientSpec.AssertionKeys = doc
	}
	c, err := s.ClientSpec.Client()
	if err != nil {
		return nil, flagError(err)
	}
	return c, nil
}

// flagError words a registration error as the flag it came from: a
// *manage.FieldError with its fields as flags, a domain rule's
// *keypad.ValidationError as "--public clients cannot …", "--scopes: "x"
// is not …".
func flagError(err error) error {
	var fe *manage.FieldError
	if errors.As(err, &fe) {
		return errors.New(fe.Render(flagOf))
	}
	var ve *keypad.ValidationError
	if !errors.As(err, &ve) {
		return err
	}
	flag := flagOf(ve.Field)
	if strings.HasPrefix(ve.Message, "is ") || strings.HasPrefix(ve.Message, "clients ") {
		return fmt.Errorf("%s %s", flag, ve.Message)
	}
	return fmt.Errorf("%s: %s", flag, ve.Message)
}

// flagOf is the flag that sets a registration field.
func flagOf(field string) string {
	switch field {
	case "token_endpoint_auth_method":
		return "--auth-method"
	case "jwks":
		return "--jwks"
	case "descriptions":
		return "--description-in"
	case "preferred_language":
		return "--language"
	}
	return "--" + strings.ReplaceAll(field, "_", "-")
}
