package energy

import (
	"errors"
	"log/slog"
	"net/http"
	"time"

	"github.com/keypadauth/keypad/rs"
)

// Customer is what the API knows of one of the utility's customers.
type Customer struct {
	// Key is the utility's own customer key (the account number in the
	// demo). It seeds the synthetic usage data, so it must be stable.
	Key string
	// ServiceAddress is shown as the usage point's service location;
	// optional.
	ServiceAddress string
}

// Customers finds the customer a token's subject (keypad's "sub") is.
// The demo seeds keypad's subjects and hands the same list here, so the
// API never needs to reach into keypad's database.
type Customers func(subject string) (Customer, bool)

// CustomerMap serves Customers from a map keyed by subject.
func CustomerMap(m map[string]Customer) Customers {
	return func(subject string) (Customer, bool) {
		c, ok := m[subject]
		return c, ok
	}
}

// Config configures the API. Issuer and Customers are required.
type Config struct {
	// Issuer is keypad's issuer URL; its metadata and JWKS are found
	// from it (RFC 8414).
	Issuer string
	// ClientID and ClientSecret are the API's own credentials for
	// introspection of opaque (kp_at_) tokens. Without them only JWT
	// access tokens are accepted. keypad tells a client only about its
	// own tokens, so the API's client is registered with
	// --introspect-any (ClientOptions.IntrospectAny).
	ClientID, ClientSecret string
	// Audience, when set, must appear in a token's aud.
	Audience string
	// RequireDPoP accepts only DPoP-bound tokens (RFC 9449), each with a
	// proof of its key: the tokens of clients registered with
	// `keypad client … --dpop required`. Without it bearer tokens work
	// too, and a bound token still needs its proof.
	RequireDPoP bool
	// DPoPClients are clients whose tokens are accepted only DPoP-bound,
	// with a proof, while other clients' bearer tokens still work: the
	// clients registered `--dpop required`, so that a bearer token one of
	// them got before it was (or from a keypad that forgot) is refused.
	DPoPClients []string
	// PublicURL is the API's base URL as clients call it, which DPoP
	// proofs name (htu); empty means the scheme and Host of each request.
	PublicURL string
	// RequiredScope is the scope every call needs; default "usage:read".
	RequiredScope string
	Customers     Customers
	// Seed and Months shape the synthetic data (see GenerateUsage); Months
	// defaults to 13. End is GenerateUsage's end; zero means Now() when New
	// runs, so the data covers the last Months whole months.
	Seed   int64
	Months int
	End    time.Time
	// PricePerKWh and Currency state the tariff monthly costs use;
	// defaults 0.16 and "USD".
	PricePerKWh float64
	Currency    string
	HTTPClient  *http.Client // default: a client with a 10 s timeout
	Now         func() time.Time
	Logger      *slog.Logger // default: slog.Default()
}

// New returns the API's handler. It does not contact keypad: metadata and
// keys are fetched on the first request that needs them, so the API may
// start before keypad does.
func New(cfg Config) (http.Handler, error) {
	if cfg.Customers == nil {
		return nil, errors.New("energy: Customers is required: say which customer each keypad subject is")
	}
	if cfg.RequiredScope == "" {
		cfg.RequiredScope = "usage:read"
	}
	if cfg.Months <= 0 {
		cfg.Months = 13
	}
	if cfg.PricePerKWh <= 0 {
		cfg.PricePerKWh = 0.16
	}
	if cfg.Currency == "" {
		cfg.Currency = "USD"
	}
	if cfg.HTTPClient == nil {
		cfg.HTTPClient = &http.Client{Timeout: 10 * time.Second}
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.End.IsZero() {
		cfg.End = cfg.Now()
	}
	v, err := rs.New(rs.Config{
		Issuer: cfg.Issuer, ClientID: cfg.ClientID, ClientSecret: cfg.ClientSecret,
		Audience: cfg.Audience, RequireDPoP: cfg.RequireDPoP,
		HTTPClient: cfg.HTTPClient, Now: cfg.Now, Logger: cfg.Logger,
	})
	if err != nil {
		return nil, errors.New("energy: " + err.Error())
	}
	a := &api{
		cfg:   cfg,
		scope: cfg.RequiredScope,
		log:   cfg.Logger,
		usage: map[string]*Usage{},
		v:     v,
	}
	return a.routes(), nil
}
