package manage

import (
	"io"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/token"
)

// TakesSecret reports whether c authenticates with a client secret: a
// confidential client that does not use private_key_jwt. A public client
// cannot keep one, and a private_key_jwt client proves itself with its
// keys: a secret it could not use would only be something to leak.
func TakesSecret(c *keypad.Client) bool {
	return !c.Public && c.Options.TokenEndpointAuthMethod != keypad.AuthMethodPrivateKeyJWT
}

// IssueSecret draws a new client secret for c, when c takes one
// (TakesSecret), and sets c.SecretHash; it returns the secret, shown to
// the administrator once, or "" for a client without one. Only the hash
// is ever stored.
func IssueSecret(rand io.Reader, c *keypad.Client) (string, error) {
	if !TakesSecret(c) {
		return "", nil
	}
	secret, err := token.NewSecret(rand, keypad.PrefixClientSecret)
	if err != nil {
		return "", err
	}
	c.SecretHash = keypad.SecretHash(secret)
	return secret, nil
}
