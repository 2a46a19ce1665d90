package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/admin"
	"github.com/keypadauth/keypad/manage"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/token"
)

// The remote manager's resources: each method is the admin API request
// the local manager's store call stands for (docs/admin-api.md).

func clientPath(id string) string  { return "/clients/" + url.PathEscape(id) }
func personPath(id string) string  { return "/people/" + url.PathEscape(id) }
func scopePath(name string) string { return "/scopes/" + url.PathEscape(name) }

// CheckClient checks nothing: the server checks the client's IdPs.
func (r *remoteManager) CheckClient(context.Context, *keypad.Client) error { return nil }

func (r *remoteManager) CreateClient(ctx context.Context, c *keypad.Client) (*keypad.Client, string, error) {
	return r.clientCall(ctx, http.MethodPost, "/clients", admin.ClientRequest(c))
}

// clientCall sends one request answered by a client resource.
func (r *remoteManager) clientCall(ctx context.Context, method, path string, body any) (*keypad.Client, string, error) {
	var data []byte
	if err := r.do(ctx, method, path, body, &data); err != nil {
		return nil, "", err
	}
	return admin.DecodeClient(data)
}

func (r *remoteManager) ListClients(ctx context.Context) ([]*keypad.Client, error) {
	var cs []*keypad.Client
	err := r.listAll(ctx, "/clients", func(raw json.RawMessage) error {
		c, _, err := admin.DecodeClient(raw)
		cs = append(cs, c)
		return err
	})
	return cs, err
}

func (r *remoteManager) GetClient(ctx context.Context, id string) (*keypad.Client, error) {
	c, _, err := r.clientCall(ctx, http.MethodGet, clientPath(id), nil)
	return c, err
}

// UpdateClient replaces the registration, If-Match the version read.
func (r *remoteManager) UpdateClient(ctx context.Context, c *keypad.Client) (*keypad.Client, error) {
	c, _, err := r.clientCall(ctx, http.MethodPut, clientPath(c.ID), admin.ClientRequest(c))
	return c, err
}

func (r *remoteManager) DeleteClient(ctx context.Context, id string) error {
	return r.do(ctx, http.MethodDelete, clientPath(id), nil, nil)
}

func (r *remoteManager) RotateSecret(ctx context.Context, c *keypad.Client) (*keypad.Client, string, error) {
	p := clientPath(c.ID)
	r.etags[p+"/secret"] = r.etags[p]
	return r.clientCall(ctx, http.MethodPost, p+"/secret", nil)
}

func (r *remoteManager) CreatePerson(ctx context.Context, spec manage.PersonSpec, pw string) (*keypad.Subject, error) {
	s, err := r.personCall(ctx, http.MethodPost, "/people", admin.PersonRequest(spec))
	if err != nil || pw == "" {
		return s, err
	}
	if err := r.SetPassword(ctx, s, pw); err != nil {
		return nil, err
	}
	return r.personCall(ctx, http.MethodGet, personPath(s.ID), nil)
}

// personCall sends one request answered by a person resource; the
// version it answers is the one later writes to that person send.
func (r *remoteManager) personCall(ctx context.Context, method, path string, body any) (*keypad.Subject, error) {
	var data []byte
	if err := r.do(ctx, method, path, body, &data); err != nil {
		return nil, err
	}
	s, err := admin.DecodePerson(data)
	if err == nil && path == "/people" {
		r.etags[personPath(s.ID)] = r.etags[path]
	}
	return s, err
}

func (r *remoteManager) ListPeople(ctx context.Context, limit int) ([]*keypad.Subject, error) {
	var out []*keypad.Subject
	err := r.listAll(ctx, "/people", func(raw json.RawMessage) error {
		if limit > 0 && len(out) == limit {
			return errEnough
		}
		s, err := admin.DecodePerson(raw)
		out = append(out, s)
		return err
	})
	if errors.Is(err, errEnough) {
		err = nil
	}
	return out, err
}

// errEnough stops a list once it has as many items as asked for.
var errEnough = errors.New("enough items")

// FindPerson gets the person by ID, else searches by username.
func (r *remoteManager) FindPerson(ctx context.Context, idOrName string) (*keypad.Subject, error) {
	s, err := r.personCall(ctx, http.MethodGet, personPath(idOrName), nil)
	if !isNotFound(err) {
		return s, err
	}
	var page admin.Page
	if err := r.do(ctx, http.MethodGet, "/people?username="+url.QueryEscape(idOrName), nil, &page); err != nil {
		return nil, err
	}
	if len(page.Items) == 0 {
		return nil, err // the ID's 404
	}
	found, err := admin.DecodePerson(page.Items[0])
	if err != nil {
		return nil, err
	}
	return r.personCall(ctx, http.MethodGet, personPath(found.ID), nil) // for its ETag
}

func isNotFound(err error) bool {
	re, ok := err.(*remoteError)
	return ok && re.status == http.StatusNotFound
}

// UpdatePerson patches only the members given, If-Match the version read.
func (r *remoteManager) UpdatePerson(ctx context.Context, s *keypad.Subject, name, language *string) (*keypad.Subject, error) {
	patch := map[string]string{}
	if name != nil {
		patch["name"] = *name
	}
	if language != nil {
		patch["preferred_language"] = *language
	}
	return r.personCall(ctx, http.MethodPatch, personPath(s.ID), patch)
}

func (r *remoteManager) SetPassword(ctx context.Context, s *keypad.Subject, pw string) error {
	p := personPath(s.ID)
	r.etags[p+"/password"] = r.etags[p]
	return r.do(ctx, http.MethodPut, p+"/password", map[string]string{"password": pw}, nil)
}

func (r *remoteManager) DeletePerson(ctx context.Context, s *keypad.Subject) error {
	return r.do(ctx, http.MethodDelete, personPath(s.ID), nil, nil)
}

// scopeWire is a scope as the API reads and answers it.
type scopeWire struct {
	Name         string              `json:"name,omitempty"`
	Description  string              `json:"description"`
	Descriptions keypad.Descriptions `json:"descriptions"`
}

func (w scopeWire) scope() *keypad.Scope {
	s := &keypad.Scope{Name: w.Name, Description: w.Description}
	if len(w.Descriptions) > 0 {
		s.Descriptions = w.Descriptions
	}
	return s
}

// PutScope adds or replaces a scope; after GetScope, only over the
// version read.
func (r *remoteManager) PutScope(ctx context.Context, sc *keypad.Scope) error {
	d := sc.Descriptions
	if d == nil {
		d = keypad.Descriptions{}
	}
	return r.do(ctx, http.MethodPut, scopePath(sc.Name), scopeWire{Description: sc.Description, Descriptions: d}, nil)
}

func (r *remoteManager) GetScope(ctx context.Context, name string) (*keypad.Scope, error) {
	var w scopeWire
	if err := r.do(ctx, http.MethodGet, scopePath(name), nil, &w); err != nil {
		return nil, err
	}
	return w.scope(), nil
}

func (r *remoteManager) ListScopes(ctx context.Context) ([]*keypad.Scope, error) {
	var out []*keypad.Scope
	err := r.listAll(ctx, "/scopes", func(raw json.RawMessage) error {
		var w scopeWire
		err := json.Unmarshal(raw, &w)
		out = append(out, w.scope())
		return err
	})
	return out, err
}

func (r *remoteManager) DeleteScope(ctx context.Context, name string) error {
	return r.do(ctx, http.MethodDelete, scopePath(name), nil, nil)
}

func (r *remoteManager) ListKeys(ctx context.Context) ([]keyJSON, error) {
	return r.keys(ctx, http.MethodGet, "/keys")
}

func (r *remoteManager) RotateKeys(ctx context.Context) ([]keyJSON, error) {
	return r.keys(ctx, http.MethodPost, "/keys/rotate")
}

func (r *remoteManager) keys(ctx context.Context, method, path string) ([]keyJSON, error) {
	var page struct {
		Items []keyJSON `json:"items"`
	}
	if err := r.do(ctx, method, path, nil, &page); err != nil {
		return nil, err
	}
	out := append([]keyJSON{}, page.Items...)
	for i := range out {
		if out[i].RetiredAt != nil && out[i].RetiredAt.IsZero() {
			out[i].RetiredAt = nil
		}
	}
	return out, nil
}

// ListGrants lists every grant, revoked ones included, newest first as
// the store lists them (the API pages them by ID).
func (r *remoteManager) ListGrants(ctx context.Context, subject, client string) ([]*keypad.Grant, error) {
	q := url.Values{"all": {"true"}}
	if subject != "" {
		q.Set("subject", subject)
	} else {
		q.Set("client_id", client)
	}
	var out []*keypad.Grant
	err := r.listAll(ctx, "/grants?"+q.Encode(), func(raw json.RawMessage) error {
		g, err := decodeGrant(raw)
		out = append(out, g)
		return err
	})
	slices.SortStableFunc(out, func(a, b *keypad.Grant) int {
		return cmp.Or(b.CreatedAt.Compare(a.CreatedAt), cmp.Compare(b.ID, a.ID))
	})
	return out, err
}

func decodeGrant(raw []byte) (*keypad.Grant, error) {
	var j grantJSON
	if err := json.Unmarshal(raw, &j); err != nil {
		return nil, err
	}
	return &keypad.Grant{ID: j.ID, Subject: j.Subject, ClientID: j.ClientID, DeviceName: j.DeviceName, Flow: j.Flow,
		Scopes: j.Scopes, CreatedAt: j.CreatedAt, LastUsedAt: j.LastUsedAt, RevokedAt: j.RevokedAt}, nil
}

func (r *remoteManager) GetGrant(ctx context.Context, id string) (*keypad.Grant, error) {
	var data []byte
	if err := r.do(ctx, http.MethodGet, "/grants/"+url.PathEscape(id), nil, &data); err != nil {
		return nil, err
	}
	return decodeGrant(data)
}

// RevokeGrants revokes the grants one by one, as the API offers it.
func (r *remoteManager) RevokeGrants(ctx context.Context, gs []*keypad.Grant) ([]string, error) {
	out := []string{}
	for _, g := range gs {
		if err := r.do(ctx, http.MethodDelete, "/grants/"+url.PathEscape(g.ID), nil, nil); err != nil {
			return out, err
		}
		out = append(out, g.ID)
	}
	return out, nil
}

// RevokeToken asks the API to revoke one token by its value (POST
// /admin/v1/tokens/revoke {"token"}); a 404 is a token not found.
func (r *remoteManager) RevokeToken(ctx context.Context, tok string) (token.Revocation, error) {
	var out revokeJSON // the API's answer has the shape the CLI prints
	err := r.do(ctx, http.MethodPost, "/tokens/revoke", map[string]string{"token": tok}, &out)
	if errors.Is(err, keypad.ErrNotFound) {
		return token.Revocation{}, nil
	}
	if err != nil || out.RevokedToken == nil {
		return token.Revocation{}, err
	}
	done := token.Revocation{Found: true, ClientID: out.RevokedToken.ClientID, Kind: keypad.TokenKind(out.RevokedToken.Kind)}
	if len(out.RevokedGrants) > 0 {
		done.GrantID = out.RevokedGrants[0]
	}
	return done, nil
}

// CreateInitialToken asks the server for a token of t's lifetime and
// uses (POST /admin/v1/initial-access-tokens, served by the admin
// listener beside the API).
func (r *remoteManager) CreateInitialToken(ctx context.Context, t *keypad.InitialAccessToken, _ string) (oauth.InitialAccessTokenJSON, error) {
	var out oauth.InitialAccessTokenJSON
	path := strings.TrimPrefix(oauth.PathInitialAccessTokens, strings.TrimSuffix(admin.Prefix, "/"))
	body := map[string]int64{"expires_in": int64(t.ExpiresAt.Sub(t.CreatedAt) / time.Second), "uses": int64(t.MaxUses)}
	err := r.do(ctx, http.MethodPost, path, body, &out)
	return out, err
}
