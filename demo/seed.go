package demo

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/examples/energy"
	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/password"
	"github.com/keypadauth/keypad/token"
)

// Defaults of Options.
const (
	// DefaultSeed makes every run of the demo show the same people and
	// the same usage, so the walk-through's numbers hold.
	DefaultSeed      = 20260101
	DefaultCustomers = 1000
)

// The clients the demo registers.
const (
	// KioskClientID is the hardware store's audit kiosk: a confidential
	// client of the OTP flow.
	KioskClientID = "bright-audits"
	// EnergyClientID is the energy API's own identity, with which it
	// introspects opaque access tokens.
	EnergyClientID = "green-valley-api"
	// TVClientID is a public device-flow client, the utility's TV app.
	TVClientID = "tv-app"
	// CLIClientID is a public device-flow client for terminals.
	CLIClientID = "cli"
)

// ScopeUsage is the one scope the energy API needs.
const ScopeUsage = "usage:read"

// Scopes is the demo's scope catalogue. The OTP message and the consent
// page show the description, never the name. The TV app's pattern
// device:{id}:control is not listed: the catalogue is published as
// scopes_supported, where only concrete scopes belong.
var Scopes = []keypad.Scope{
	{Name: ScopeUsage, Description: "read your energy usage history (12 months)",
		Descriptions: keypad.Descriptions{"es": "ver su historial de consumo de energía (12 meses)"}},
}

// Options shape the seed. The zero value seeds the standard demo.
type Options struct {
	// Seed draws the synthetic customers (DefaultSeed when 0).
	Seed int64
	// Customers is how many people to create, the named ones included
	// (DefaultCustomers when 0; at least 3).
	Customers int
	// Now stamps the records (time.Now when zero).
	Now time.Time
	// Rand makes the client secrets and the password salt (crypto/rand
	// when nil); they are never derived from Seed.
	Rand io.Reader
}

func (o Options) withDefaults() Options {
	if o.Seed == 0 {
		o.Seed = DefaultSeed
	}
	if o.Customers == 0 {
		o.Customers = DefaultCustomers
	}
	o.Customers = max(o.Customers, 3)
	if o.Now.IsZero() {
		o.Now = time.Now()
	}
	if o.Rand == nil {
		o.Rand = rand.Reader
	}
	return o
}

// Seeded is what a seeded store holds that the other demo programs need:
// the confidential clients' secrets (keypad keeps only their hashes) and
// the customers, for the energy API.
type Seeded struct {
	Seed         int64
	KioskSecret  string
	EnergySecret string
	Customers    []Customer
	// Created counts the people this run added; 0 when the store had
	// them all from an earlier run.
	Created int
}

// EnergyCustomers tells the energy API which customer each keypad
// subject is, so every person sees their own usage.
func (s *Seeded) EnergyCustomers() energy.Customers {
	m := make(map[string]energy.Customer, len(s.Customers))
	for _, c := range s.Customers {
		m[c.Subject] = energy.Customer{Key: c.Account, ServiceAddress: c.Address}
	}
	return energy.CustomerMap(m)
}

// Customer returns the seeded customer with the account number, and
// whether there is one.
func (s *Seeded) Customer(account string) (Customer, bool) {
	for _, c := range s.Customers {
		if c.Account == account {
			return c, true
		}
	}
	return Customer{}, false
}

// Seed fills store with the demo's scopes, clients and customers. It may
// run again on a store it seeded before (`keypad demo --dir D --keep`):
// people already there are kept, and the confidential clients get fresh
// secrets, since keypad cannot give back the old ones.
func Seed(ctx context.Context, store keypad.Store, opts Options) (*Seeded, error) {
	opts = opts.withDefaults()
	now := opts.Now.UTC()
	for _, sc := range Scopes {
		if err := sc.Validate(); err != nil {
			return nil, fmt.Errorf("seed scope %s: %w", sc.Name, err)
		}
		if err := store.PutScope(ctx, &sc); err != nil {
			return nil, fmt.Errorf("seed scope %s: %w", sc.Name, err)
		}
	}

	s := &Seeded{Seed: opts.Seed, Customers: customers(opts.Seed, opts.Customers)}
	var err error
	if s.KioskSecret, err = token.NewSecret(opts.Rand, keypad.PrefixClientSecret); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	if s.EnergySecret, err = token.NewSecret(opts.Rand, keypad.PrefixClientSecret); err != nil {
		return nil, fmt.Errorf("seed: %w", err)
	}
	for _, c := range clients(s) {
		c.CreatedAt, c.UpdatedAt = now, now
		if err := putClient(ctx, store, c); err != nil {
			return nil, err
		}
	}

	var norm identifier.Normalizer
	for _, c := range s.Customers {
		sub, err := identifier.Record{
			ExternalID: c.Account, Username: c.Username, Name: c.Name,
			Email: c.Email, Phone: c.Phone, Address: c.Address, Account: c.Account,
		}.Subject(norm)
		if err != nil {
			return nil, fmt.Errorf("seed customer %s: %w", c.Account, err)
		}
		sub.ID, sub.CreatedAt, sub.UpdatedAt, sub.PreferredLanguage = c.Subject, now, now, c.Language
		if err := sub.Validate(); err != nil {
			return nil, fmt.Errorf("seed customer %s: %w", c.Account, err)
		}
		if c.Username == Heather.Username {
			if sub.PasswordHash, err = password.Hash(HeatherPassword, opts.Rand); err != nil {
				return nil, fmt.Errorf("seed customer %s: %w", c.Account, err)
			}
		}
		switch err := store.CreateSubject(ctx, sub); {
		case err == nil:
			s.Created++
		case errors.Is(err, keypad.ErrConflict):
			// Seeded by an earlier run: keep it.
		default:
			return nil, fmt.Errorf("seed customer %s: %w", c.Account, err)
		}
	}
	return s, nil
}

// clients are the demo's registrations.
func clients(s *Seeded) []*keypad.Client {
	return []*keypad.Client{
		{
			ID: KioskClientID, Name: "Bright Audits",
			Description: "Free home energy audits, at the kiosk in Hometown Hardware",
			SecretHash:  keypad.SecretHash(s.KioskSecret),
			// "Text me a code" (the OTP flow) or "Approve on my phone"
			// (CIBA, which also asks for openid).
			GrantTypes:  []string{keypad.GrantOTP, keypad.GrantCIBA},
			Scopes:      []string{ScopeUsage, "openid"},
			TokenFormat: keypad.FormatJWT,
			// A visit lasts minutes; the token need not outlive it.
			AccessTTL: 10 * time.Minute,
		},
		{
			ID: EnergyClientID, Name: "Green Valley Power usage API",
			Description: "The utility's energy usage API; introspects opaque access tokens",
			SecretHash:  keypad.SecretHash(s.EnergySecret),
			TokenFormat: keypad.FormatJWT,
			// The API serves tokens issued to the TV app and the
			// kiosk, so it must be allowed to introspect them.
			Options: keypad.ClientOptions{IntrospectAny: true},
		},
		{
			ID: TVClientID, Name: "Green Valley Power TV app",
			Description: "Shows your home's energy use on your television",
			Public:      true,
			GrantTypes:  []string{keypad.GrantDeviceCode, keypad.GrantRefreshToken},
			Scopes:      []string{ScopeUsage, "device:{id}:control"},
			// Opaque, so the energy API shows introspection at work.
			TokenFormat: keypad.FormatOpaque,
			// A TV keeps its refresh token for years: every token is
			// bound to a key the TV holds (keypad device-login --dpop).
			Options: keypad.ClientOptions{DPoP: keypad.DPoPRequired},
		},
		{
			ID: CLIClientID, Name: "Green Valley Power command line",
			Description: "Reads your energy usage from a terminal",
			Public:      true,
			GrantTypes:  []string{keypad.GrantDeviceCode, keypad.GrantRefreshToken},
			Scopes:      []string{ScopeUsage},
			TokenFormat: keypad.FormatJWT,
		},
	}
}

// putClient registers c, or updates the registration an earlier run made
// (with c's new secret).
func putClient(ctx context.Context, store keypad.ClientStore, c *keypad.Client) error {
	if err := c.Validate(); err != nil {
		return fmt.Errorf("seed client %s: %w", c.ID, err)
	}
	err := store.CreateClient(ctx, c)
	if errors.Is(err, keypad.ErrConflict) {
		old, gerr := store.GetClient(ctx, c.ID)
		if gerr != nil {
			return fmt.Errorf("seed client %s: %w", c.ID, gerr)
		}
		c.CreatedAt = old.CreatedAt
		err = store.UpdateClient(ctx, c)
	}
	if err != nil {
		return fmt.Errorf("seed client %s: %w", c.ID, err)
	}
	return nil
}
