package scim

import (
	"context"
	"encoding/base32"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	scim "github.com/elimity-com/scim"
	"github.com/elimity-com/scim/optional"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/oauth"
)

// Prefix is where the handler is mounted; it serves Prefix + "Users" and
// the discovery documents.
const Prefix = "/scim/v2/"

// maxBody caps a request body, as RFC 7644 §3.12's maxPayloadSize would:
// a User is a few kilobytes.
const maxBody = 1 << 20

// maxResults is the most Users one list answers (count is lowered to it).
const maxResults = 200

// Store is what provisioning reads and writes: people.
type Store interface {
	CreateSubject(ctx context.Context, s *keypad.Subject) error
	GetSubject(ctx context.Context, id string) (*keypad.Subject, error)
	GetSubjectByUsername(ctx context.Context, username string) (*keypad.Subject, error)
	GetSubjectByExternalID(ctx context.Context, externalID string) (*keypad.Subject, error)
	FindSubjects(ctx context.Context, id keypad.Identifier) ([]*keypad.Subject, error)
	ListSubjects(ctx context.Context, after string, limit int) ([]*keypad.Subject, error)
	ModifySubject(ctx context.Context, id string, now time.Time, fn func(*keypad.Subject) error) (*keypad.Subject, error)
	DeleteSubject(ctx context.Context, id string) error
}

// Authorizer checks a management request's access token and answers the
// refusal itself; *oauth.Server is one.
type Authorizer interface {
	AuthorizeAdmin(w http.ResponseWriter, r *http.Request, scope string) (*oauth.AdminCaller, bool)
}

// Config is what the handler is built from.
type Config struct {
	// Store holds the people.
	Store Store
	// Auth is the admin gate every request passes first.
	Auth Authorizer
	// BaseURL is the public URL of Prefix without its trailing slash
	// (issuer + "/scim/v2"): the base of meta.location.
	BaseURL string
	// Normalizer reads identifiers (its DefaultRegion is otp.region, as
	// for the CLI).
	Normalizer identifier.Normalizer
	// Now is the clock of meta.created and meta.lastModified.
	Now func() time.Time
	// Rand makes the IDs of new people.
	Rand io.Reader
	// Log receives the failures answered 500.
	Log *slog.Logger
	// DocumentationURI is given in ServiceProviderConfig.
	DocumentationURI string
}

// Handler serves SCIM at Prefix.
type Handler struct {
	auth Authorizer
	scim scim.Server
	spc  []byte
}

// New builds the handler.
func New(c Config) (*Handler, error) {
	if c.Store == nil || c.Auth == nil || c.Now == nil || c.Rand == nil || c.Log == nil {
		return nil, fmt.Errorf("scim: Config needs Store, Auth, Now, Rand and Log")
	}
	u := &users{store: c.Store, norm: c.Normalizer, now: c.Now, rand: c.Rand, log: c.Log}
	ext := keypadSchema()
	spc := &scim.ServiceProviderConfig{
		DocumentationURI: optional.NewString(c.DocumentationURI),
		AuthenticationSchemes: []scim.AuthenticationScheme{{
			Type: scim.AuthenticationTypeOauthBearerToken, Name: "OAuth Bearer Token",
			Description: "An access token from this server's token endpoint with the keypad:users (or keypad:admin) scope, sent as Bearer, or as DPoP with a proof when it is bound.",
			SpecURI:     optional.NewString("https://www.rfc-editor.org/rfc/rfc6750"),
			Primary:     true,
		}},
		MaxResults: maxResults, SupportFiltering: true, SupportPatch: true,
	}
	srv, err := scim.NewServer(&scim.ServerArgs{
		ServiceProviderConfig: spc,
		ResourceTypes: []scim.ResourceType{{
			ID:               optional.NewString("User"),
			Name:             "User",
			Endpoint:         "/Users",
			Description:      optional.NewString("A person keypad signs in"),
			Schema:           userSchema(),
			SchemaExtensions: []scim.SchemaExtension{{Schema: ext}},
			Handler:          u,
		}},
	}, scim.WithBaseURL(c.BaseURL), scim.WithLogger(logger{c.Log}))
	if err != nil {
		return nil, fmt.Errorf("scim: %w", err)
	}
	doc, err := serviceProviderConfig(c.DocumentationURI, c.BaseURL)
	if err != nil {
		return nil, err
	}
	return &Handler{auth: c.Auth, scim: srv, spc: doc}, nil
}

// ServeHTTP authorises the request (keypad:users), caps its body and
// hands it to the library; ServiceProviderConfig is keypad's own, since
// the library's says ETags are not supported.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, ok := h.auth.AuthorizeAdmin(w, r, oauth.ScopeUsers); !ok {
		return
	}
	if r.ContentLength > maxBody {
		w.Header().Set("Content-Type", "application/scim+json")
		w.WriteHeader(http.StatusRequestEntityTooLarge)
		w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"the body is larger than 1 MiB: send one User at a time","status":"413"}`))
		return
	}
	// A body that grows past the cap without announcing its length is
	// cut there, and its JSON then fails to parse (400 invalidSyntax).
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	path := strings.TrimPrefix(r.URL.Path, strings.TrimSuffix(Prefix, "/v2/"))
	if path == "/v2/ServiceProviderConfig" {
		w.Header().Set("Content-Type", "application/scim+json")
		if r.Method != http.MethodGet {
			w.Header().Set("Allow", "GET")
			w.WriteHeader(http.StatusMethodNotAllowed)
			w.Write([]byte(`{"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"detail":"ServiceProviderConfig is read with GET","status":"405"}`))
			return
		}
		w.Write(h.spc)
		return
	}
	r2 := r.Clone(r.Context())
	r2.URL.Path = path
	h.scim.ServeHTTP(w, r2)
}

// serviceProviderConfig is RFC 7643 §5's document for what this handler
// does: PATCH, filters, ETags; no bulk, sort or password change.
func serviceProviderConfig(doc, base string) ([]byte, error) {
	b, err := json.Marshal(map[string]any{
		"schemas":          []string{"urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"},
		"documentationUri": doc,
		"patch":            map[string]bool{"supported": true},
		"bulk":             map[string]any{"supported": false, "maxOperations": 0, "maxPayloadSize": 0},
		"filter":           map[string]any{"supported": true, "maxResults": maxResults},
		"changePassword":   map[string]bool{"supported": false},
		"sort":             map[string]bool{"supported": false},
		"etag":             map[string]bool{"supported": true},
		"authenticationSchemes": []map[string]any{{
			"type": "oauthbearertoken", "name": "OAuth Bearer Token", "primary": true,
			"description": "An access token from this server's token endpoint with the keypad:users (or keypad:admin) scope.",
			"specUri":     "https://www.rfc-editor.org/rfc/rfc6750",
		}},
		"meta": map[string]string{"resourceType": "ServiceProviderConfig", "location": base + "/ServiceProviderConfig"},
	})
	if err != nil {
		return nil, fmt.Errorf("scim: service provider config: %w", err)
	}
	return b, nil
}

// newID makes a person's ID as the CLI does: 128 random bits, base32.
func newID(r io.Reader) (string, error) {
	b := make([]byte, 16)
	if _, err := io.ReadFull(r, b); err != nil {
		return "", fmt.Errorf("read randomness: %w", err)
	}
	return strings.ToLower(base32.StdEncoding.WithPadding(base32.NoPadding).EncodeToString(b)), nil
}

// logger hands the library's complaints to slog.
type logger struct{ log *slog.Logger }

func (l logger) Error(args ...any) { l.log.Error("scim: " + fmt.Sprint(args...)) }
