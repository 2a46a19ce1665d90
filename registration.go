package keypad

import (
	"context"
	"fmt"
	"net/netip"
	"net/url"
	"strings"
	"time"

	"golang.org/x/text/language"
)

// Prefixes of the registration secrets (RFC 7591, RFC 7592), so secret
// scanners recognise a leaked one like the others of secret.go.
const (
	// PrefixInitialAccessToken starts an initial access token: the
	// operator's permission to register a client (RFC 7591 §3).
	PrefixInitialAccessToken = "kp_it_"
	// PrefixRegistrationToken starts a registration access token: a
	// registered client's key to read, change or delete its own
	// registration (RFC 7592 §1).
	PrefixRegistrationToken = "kp_rg_"
)

// InitialAccessToken lets whoever holds it register clients at
// /oauth2/register while registration is closed (RFC 7591 §1.2). Only
// its hash is kept.
type InitialAccessToken struct {
	// ID names the token in lists and for deletion ("iat_…"); it is no
	// secret.
	ID   string
	Hash []byte
	// ExpiresAt ends the token; it is always set.
	ExpiresAt time.Time
	// MaxUses is how many clients the token may register; 0 means any
	// number until it expires. Uses counts those registered.
	MaxUses int
	Uses    int
	// CreatedBy is who made it: "cli", or the admin client's ID.
	CreatedBy string
	CreatedAt time.Time
}

// ClientRegistration is what dynamic registration keeps beside a client
// it registered: the hash of the registration access token and the
// metadata keypad.Client has no field for. A client made by the CLI has
// none.
type ClientRegistration struct {
	ClientID string
	// TokenHash is SecretHash of the registration access token.
	TokenHash []byte
	Metadata  RegistrationMetadata
	CreatedAt time.Time
	UpdatedAt time.Time
}

// RegistrationMetadata holds the client metadata of RFC 7591 §2 that only
// describe the client (they change no behaviour), kept to be echoed back
// and shown.
type RegistrationMetadata struct {
	Contacts  []string `json:"contacts,omitempty"`
	LogoURI   string   `json:"logo_uri,omitempty"`
	ClientURI string   `json:"client_uri,omitempty"`
	PolicyURI string   `json:"policy_uri,omitempty"`
	TOSURI    string   `json:"tos_uri,omitempty"`
	// SoftwareID and SoftwareVersion identify the client software (the
	// same for every instance of it).
	SoftwareID      string `json:"software_id,omitempty"`
	SoftwareVersion string `json:"software_version,omitempty"`
	// ClientNames are client_name in other languages (RFC 7591 §2.2:
	// client_name#es), by BCP 47 tag.
	ClientNames map[string]string `json:"client_names,omitempty"`
	// StatementIssuer is the iss of the software statement the
	// registration carried, "" without one: which authority vouched for
	// the metadata.
	StatementIssuer string `json:"statement_issuer,omitempty"`
}

// maxMetadataText bounds each text of the metadata.
const maxMetadataText = 2000

// Validate checks the metadata: web URLs for the URIs (RFC 7591 §2),
// printable one-line texts, valid language tags. It returns a
// *ValidationError naming the registration field.
func (m RegistrationMetadata) Validate() error {
	for _, f := range []struct{ name, value string }{
		{"logo_uri", m.LogoURI}, {"client_uri", m.ClientURI}, {"policy_uri", m.PolicyURI}, {"tos_uri", m.TOSURI},
	} {
		if f.value == "" {
			continue
		}
		if err := checkWebURL(f.value); err != nil {
			return &ValidationError{Field: f.name, Message: fmt.Sprintf("%q %v", f.value, err)}
		}
	}
	for _, f := range []struct{ name, value string }{
		{"software_id", m.SoftwareID}, {"software_version", m.SoftwareVersion},
	} {
		if err := checkText(f.name, f.value); err != nil {
			return err
		}
		if len(f.value) > maxMetadataText {
			return &ValidationError{Field: f.name, Message: fmt.Sprintf("is longer than %d bytes", maxMetadataText)}
		}
	}
	for _, c := range m.Contacts {
		if err := checkText("contacts", c); err != nil {
			return err
		}
		if strings.TrimSpace(c) == "" || len(c) > 320 {
			return &ValidationError{Field: "contacts", Message: fmt.Sprintf("%q is not a usable contact: give email addresses of people responsible for the client", c)}
		}
	}
	for tag, name := range m.ClientNames {
		if _, err := language.Parse(tag); err != nil {
			return &ValidationError{Field: "client_name#" + tag, Message: fmt.Sprintf("%q is not a BCP 47 language tag (e.g. es, fr-CA)", tag)}
		}
		if strings.TrimSpace(name) == "" {
			return &ValidationError{Field: "client_name#" + tag, Message: "is empty: leave it out or give the name people read in that language"}
		}
		if err := checkText("client_name#"+tag, name); err != nil {
			return err
		}
	}
	return nil
}

// checkWebURL accepts an absolute https URL (http only on loopback, for
// tests) without user info: a page or image people may be shown.
func checkWebURL(s string) error {
	if hasControl(s) {
		return fmt.Errorf("contains a control character (such as a line break)")
	}
	u, err := url.Parse(s)
	switch {
	case err != nil || !u.IsAbs() || u.Host == "":
		return fmt.Errorf("is not an absolute URL")
	case u.User != nil:
		return fmt.Errorf("must not have user info")
	case u.Scheme == "https":
	case u.Scheme == "http" && isLoopbackHost(u.Hostname()):
	default:
		return fmt.Errorf("must be an https URL")
	}
	return nil
}

// RegistrationStore keeps what dynamic client registration (RFC 7591,
// RFC 7592) needs beside the clients: initial access tokens and the
// registrations of the clients it made.
type RegistrationStore interface {
	// CreateInitialAccessToken stores a new token. Returns ErrConflict if
	// its ID or hash is taken.
	CreateInitialAccessToken(ctx context.Context, t *InitialAccessToken) error
	// ListInitialAccessTokens returns every token, expired and used-up
	// ones included, oldest first.
	ListInitialAccessTokens(ctx context.Context) ([]*InitialAccessToken, error)
	// DeleteInitialAccessToken removes a token. Returns ErrNotFound if
	// there is none with that ID.
	DeleteInitialAccessToken(ctx context.Context, id string) error
	// RegisterClient stores c and its registration r in one transaction.
	// With initialToken (the hash of an initial access token) it first
	// uses the token once, in the same transaction, so that N concurrent
	// registrations with a token of one use register exactly one client.
	// Returns ErrNotFound (no such token), ErrExpired (expired at now) or
	// ErrConsumed (its uses are used up), writing nothing; ErrConflict if
	// c's ID is taken.
	RegisterClient(ctx context.Context, c *Client, r *ClientRegistration, initialToken []byte, now time.Time) error
	// GetClientRegistration returns a client's registration, or
	// ErrNotFound (also for a client the CLI made).
	GetClientRegistration(ctx context.Context, clientID string) (*ClientRegistration, error)
	// UpdateRegisteredClient replaces the stored client c and its
	// registration r in one transaction. Returns ErrNotFound if either
	// does not exist.
	UpdateRegisteredClient(ctx context.Context, c *Client, r *ClientRegistration) error
}

// isLoopbackHost reports localhost or a loopback address.
func isLoopbackHost(host string) bool {
	ip, err := netip.ParseAddr(host)
	return host == "localhost" || err == nil && ip.IsLoopback()
}
