package admin

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"sync"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/token"
)

// Prefix is the path every admin API route starts with.
const Prefix = "/admin/v1/"

// Store is what the admin API reads and writes.
type Store interface {
	keypad.ClientStore
	keypad.SubjectStore
	keypad.ScopeStore
	keypad.GrantStore
	keypad.AuditStore
	keypad.AuditQueryStore
	keypad.KeyStore
	keypad.IdPStore
	keypad.ConditionalStore
	keypad.IdempotencyStore
	keypad.ImportJobStore
}

// OAuth is what the API asks of the protocol server, *oauth.Server.
type OAuth interface {
	// AuthorizeAdmin checks a management request's access token and
	// answers the RFC 6750 error itself when it fails.
	AuthorizeAdmin(w http.ResponseWriter, r *http.Request, scope string) (*oauth.AdminCaller, bool)
	// ForgetClient drops a client from this instance's cache after a
	// change, so the change holds here at once (other instances hear of
	// it from the store's change watch).
	ForgetClient(id string)
	// RevokeToken revokes one token by its value, whichever client holds
	// it, and says what ended.
	RevokeToken(ctx context.Context, tok string) (token.Revocation, error)
}

// Keys rotates the signing keys: the server's *token.Keyring, so that
// this instance signs with the new keys at once.
type Keys interface {
	Rotate(ctx context.Context) error
}

// Config is everything the admin API needs, passed in once.
type Config struct {
	Store Store
	OAuth OAuth
	Keys  Keys
	// Now is the clock (time.Now when nil); Rand the randomness for IDs
	// and client secrets (crypto/rand when nil).
	Now  func() time.Time
	Rand io.Reader
	// Region is where phone numbers without a country code are read
	// (otp.region), as the CLI reads them.
	Region string
	// Log receives the unexpected errors (slog.Default when nil).
	Log *slog.Logger
	// SubjectIDKey keys the IDs of imported people, as `keypad user
	// import` keys them (the server secret's "subject-id" key), so the
	// API and the CLI import the same file into the same people.
	SubjectIDKey []byte
}

// API serves the admin API.
type API struct {
	store  Store
	oauth  OAuth
	keys   Keys
	now    func() time.Time
	rand   io.Reader
	region string
	log    *slog.Logger

	subjectKey []byte
	// ctx ends with Close, and with it the imports running in the
	// background (jobs).
	ctx    context.Context
	cancel context.CancelFunc
	jobs   sync.WaitGroup
	// running maps the ID of each import this instance runs to a channel
	// closed when it ends.
	running sync.Map
}

// New builds the API from cfg; everything but the clock, the randomness,
// the region and the log is required.
func New(cfg Config) (*API, error) {
	if cfg.Store == nil || cfg.OAuth == nil || cfg.Keys == nil || len(cfg.SubjectIDKey) == 0 {
		return nil, errors.New("admin: Config needs a Store, an OAuth, Keys and a SubjectIDKey")
	}
	a := &API{store: cfg.Store, oauth: cfg.OAuth, keys: cfg.Keys, now: cfg.Now, rand: cfg.Rand, region: cfg.Region, log: cfg.Log}
	if a.now == nil {
		a.now = time.Now
	}
	if a.rand == nil {
		a.rand = rand.Reader
	}
	if a.log == nil {
		a.log = slog.Default()
	}
	a.subjectKey = cfg.SubjectIDKey
	a.ctx, a.cancel = context.WithCancel(context.Background())
	return a, nil
}

// Close stops the imports running in the background, recording them
// failed, and waits for them: call it before the store closes.
func (a *API) Close() {
	a.cancel()
	a.jobs.Wait()
}

// route is one operation: its method and path (a ServeMux pattern), the
// scope it needs besides keypad:admin, and whether it honours
// Idempotency-Key (the creates).
type route struct {
	method, path, scope string
	idempotent          bool
	handle              func(*API, http.ResponseWriter, *http.Request)
}

// routes is every operation the API serves; Register mounts them and the
// tests hold them to openapi.json.
var routes = []route{
	{"POST", "/admin/v1/clients", oauth.ScopeClients, true, (*API).createClient},
	{"GET", "/admin/v1/clients", oauth.ScopeClients, false, (*API).listClients},
	{"GET", "/admin/v1/clients/{id}", oauth.ScopeClients, false, (*API).getClient},
	{"PUT", "/admin/v1/clients/{id}", oauth.ScopeClients, false, (*API).updateClient},
	{"PATCH", "/admin/v1/clients/{id}", oauth.ScopeClients, false, (*API).updateClient},
	{"DELETE", "/admin/v1/clients/{id}", oauth.ScopeClients, false, (*API).deleteClient},
	{"POST", "/admin/v1/clients/{id}/secret", oauth.ScopeClients, false, (*API).rotateSecret},

	{"POST", "/admin/v1/people", oauth.ScopeUsers, true, (*API).createPerson},
	{"GET", "/admin/v1/people", oauth.ScopeUsers, false, (*API).listPeople},
	{"GET", "/admin/v1/people/{id}", oauth.ScopeUsers, false, (*API).getPerson},
	{"PUT", "/admin/v1/people/{id}", oauth.ScopeUsers, false, (*API).updatePerson},
	{"PATCH", "/admin/v1/people/{id}", oauth.ScopeUsers, false, (*API).updatePerson},
	{"DELETE", "/admin/v1/people/{id}", oauth.ScopeUsers, false, (*API).deletePerson},
	{"PUT", "/admin/v1/people/{id}/password", oauth.ScopeUsers, false, (*API).setPassword},
	{"GET", "/admin/v1/people/{id}/channels", oauth.ScopeUsers, false, (*API).listChannels},

	{"GET", "/admin/v1/scopes", oauth.ScopeClients, false, (*API).listScopes},
	{"GET", "/admin/v1/scopes/{name}", oauth.ScopeClients, false, (*API).getScope},
	{"PUT", "/admin/v1/scopes/{name}", oauth.ScopeClients, false, (*API).putScope},
	{"DELETE", "/admin/v1/scopes/{name}", oauth.ScopeClients, false, (*API).deleteScope},

	{"GET", "/admin/v1/grants", oauth.ScopeGrants, false, (*API).listGrants},
	{"GET", "/admin/v1/grants/{id}", oauth.ScopeGrants, false, (*API).getGrant},
	{"DELETE", "/admin/v1/grants/{id}", oauth.ScopeGrants, false, (*API).revokeGrant},
	{"POST", "/admin/v1/tokens/revoke", oauth.ScopeGrants, false, (*API).revokeTokens},

	{"GET", "/admin/v1/keys", oauth.ScopeKeys, false, (*API).listKeys},
	{"POST", "/admin/v1/keys/rotate", oauth.ScopeKeys, false, (*API).rotateKeys},

	{"GET", "/admin/v1/audit", oauth.ScopeAudit, false, (*API).listAudit},

	{"POST", "/admin/v1/imports", oauth.ScopeUsers, false, (*API).createImport},
	{"GET", "/admin/v1/imports/{id}", oauth.ScopeUsers, false, (*API).getImport},
}

// Register mounts every route on mux, and the OpenAPI document at
// /admin/v1/openapi.json (no token needed: it describes, it holds no
// data).
func (a *API) Register(mux *http.ServeMux) {
	for _, rt := range routes {
		mux.Handle(rt.method+" "+rt.path, a.handler(rt))
	}
	mux.HandleFunc("GET "+Prefix+"openapi.json", serveOpenAPI)
}

// Routes lists every operation as "METHOD path", the OpenAPI document's
// included.
func Routes() []string {
	out := make([]string, 0, len(routes)+1)
	for _, rt := range routes {
		out = append(out, rt.method+" "+rt.path)
	}
	return append(out, "GET "+Prefix+"openapi.json")
}

// handler authorises a request for rt's scope and serves it.
func (a *API) handler(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		caller, ok := a.oauth.AuthorizeAdmin(w, r, rt.scope)
		if !ok {
			return
		}
		r = r.WithContext(context.WithValue(r.Context(), callerKey{}, caller))
		if rt.idempotent {
			a.idempotent(w, r, caller, func(w http.ResponseWriter) { rt.handle(a, w, r) })
			return
		}
		rt.handle(a, w, r)
	})
}

// callerKey keys the request's *oauth.AdminCaller in its context.
type callerKey struct{}

// callerOf is the admin client a request acts for.
func callerOf(r *http.Request) *oauth.AdminCaller {
	c, _ := r.Context().Value(callerKey{}).(*oauth.AdminCaller)
	return c
}
