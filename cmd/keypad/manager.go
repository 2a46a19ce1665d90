package main

import (
	"context"
	"errors"
	"io"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/manage"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/password"
	"github.com/keypadauth/keypad/server"
	"github.com/keypadauth/keypad/token"
	"github.com/spf13/cobra"
)

// manager is what the management commands read and write: the database
// itself (localManager) or, with --server, a keypad's admin API
// (remoteManager). Both answer keypad.ErrNotFound, keypad.ErrConflict
// and keypad.ErrStale as the store does, so a command words each once
// and prints the same thing in either mode.
type manager interface {
	io.Closer

	// CheckClient checks what only the database knows of a client about
	// to be written (its SAML IdPs); remotely the server checks it.
	CheckClient(ctx context.Context, c *keypad.Client) error
	// CreateClient registers c, drawing its ID when it has none, and
	// returns its secret (none for a public client) with c completed.
	CreateClient(ctx context.Context, c *keypad.Client) (*keypad.Client, string, error)
	ListClients(ctx context.Context) ([]*keypad.Client, error)
	GetClient(ctx context.Context, id string) (*keypad.Client, error)
	// UpdateClient writes c over the version GetClient read: ErrStale
	// when it changed meanwhile.
	UpdateClient(ctx context.Context, c *keypad.Client) (*keypad.Client, error)
	DeleteClient(ctx context.Context, id string) error
	// RotateSecret gives c, read by GetClient, a new secret.
	RotateSecret(ctx context.Context, c *keypad.Client) (*keypad.Client, string, error)

	// CreatePerson adds the person spec describes, with password (in
	// clear, checked against the policy; "" for none).
	CreatePerson(ctx context.Context, spec manage.PersonSpec, password string) (*keypad.Subject, error)
	ListPeople(ctx context.Context, limit int) ([]*keypad.Subject, error)
	// FindPerson looks a person up by ID, then by username.
	FindPerson(ctx context.Context, idOrName string) (*keypad.Subject, error)
	// UpdatePerson changes the name and language of s, read by
	// FindPerson; nil leaves one as it is.
	UpdatePerson(ctx context.Context, s *keypad.Subject, name, language *string) (*keypad.Subject, error)
	SetPassword(ctx context.Context, s *keypad.Subject, password string) error
	DeletePerson(ctx context.Context, s *keypad.Subject) error

	PutScope(ctx context.Context, sc *keypad.Scope) error
	GetScope(ctx context.Context, name string) (*keypad.Scope, error)
	ListScopes(ctx context.Context) ([]*keypad.Scope, error)
	DeleteScope(ctx context.Context, name string) error

	// ListKeys lists the signing keys, newest first, as the CLI shows them.
	ListKeys(ctx context.Context) ([]keyJSON, error)
	RotateKeys(ctx context.Context) ([]keyJSON, error)

	// ListGrants lists the grants of a person (by ID) or a client,
	// revoked ones included, newest first.
	ListGrants(ctx context.Context, subject, client string) ([]*keypad.Grant, error)
	GetGrant(ctx context.Context, id string) (*keypad.Grant, error)
	// RevokeGrants revokes the grants and their tokens; it returns the
	// IDs of those it ended.
	RevokeGrants(ctx context.Context, gs []*keypad.Grant) ([]string, error)
	// RevokeToken revokes the one token whose value is tok, whichever
	// client holds it, and says what ended (Found false: keypad did not
	// issue it, or it is a JWT that expired or another issuer signed).
	RevokeToken(ctx context.Context, tok string) (token.Revocation, error)

	// CreateInitialToken issues an initial access token like t, made and
	// checked by oauth.NewInitialAccessToken with secret; remotely the
	// server draws its own from t's lifetime and uses.
	CreateInitialToken(ctx context.Context, t *keypad.InitialAccessToken, secret string) (oauth.InitialAccessTokenJSON, error)
}

// manager opens what cmd manages: the admin API of --server when it is
// given, else the database of the configuration.
func (m *Main) manager(cmd *cobra.Command) (manager, error) {
	if r, err := m.remote(cmd); r != nil || err != nil {
		return r, err
	}
	st, cfg, err := m.openStore(cmd)
	if err != nil {
		return nil, err
	}
	return &localManager{Store: st, cfg: cfg, m: m}, nil
}

// withManager opens the manager, runs fn and closes it, keeping fn's
// error first.
func (m *Main) withManager(cmd *cobra.Command, fn func(manager) error) (err error) {
	b, err := m.manager(cmd)
	if err != nil {
		return err
	}
	defer closeStore(b, &err)
	return fn(b)
}

// localManager manages the database directly: the bootstrap mode, and
// the one for a keypad without an admin listener.
type localManager struct {
	server.Store
	cfg config.Config
	m   *Main
}

func (l *localManager) CheckClient(ctx context.Context, c *keypad.Client) error {
	return manage.CheckSAMLIdPs(ctx, l.Store, c)
}

func (l *localManager) CreateClient(ctx context.Context, c *keypad.Client) (*keypad.Client, string, error) {
	var err error
	if c.ID == "" {
		if c.ID, err = l.m.newID(""); err != nil {
			return nil, "", err
		}
	}
	secret, err := manage.IssueSecret(l.m.Rand, c)
	if err != nil {
		return nil, "", err
	}
	c.CreatedAt = l.m.Now().UTC()
	c.UpdatedAt = c.CreatedAt
	return c, secret, l.Store.CreateClient(ctx, c)
}

func (l *localManager) UpdateClient(ctx context.Context, c *keypad.Client) (*keypad.Client, error) {
	c.UpdatedAt = l.m.Now().UTC()
	return c, l.Store.UpdateClient(ctx, c)
}

func (l *localManager) RotateSecret(ctx context.Context, c *keypad.Client) (*keypad.Client, string, error) {
	secret, err := manage.IssueSecret(l.m.Rand, c)
	if err != nil {
		return nil, "", err
	}
	c.UpdatedAt = l.m.Now().UTC()
	return c, secret, l.Store.UpdateClient(ctx, c)
}

func (l *localManager) CreatePerson(ctx context.Context, spec manage.PersonSpec, pw string) (*keypad.Subject, error) {
	s := &keypad.Subject{}
	var err error
	if pw != "" {
		if s.PasswordHash, err = password.Hash(pw, l.m.Rand); err != nil {
			return nil, err
		}
	}
	if s.ID, err = l.m.newID(""); err != nil {
		return nil, err
	}
	if err := spec.Apply(s, l.cfg.OTP.Region); err != nil {
		return nil, err
	}
	s.CreatedAt = l.m.Now().UTC()
	s.UpdatedAt = s.CreatedAt
	return s, l.Store.CreateSubject(ctx, s)
}

func (l *localManager) ListPeople(ctx context.Context, limit int) ([]*keypad.Subject, error) {
	return l.Store.ListSubjects(ctx, "", limit)
}

func (l *localManager) FindPerson(ctx context.Context, idOrName string) (*keypad.Subject, error) {
	u, err := l.Store.GetSubject(ctx, idOrName)
	if errors.Is(err, keypad.ErrNotFound) {
		u, err = l.Store.GetSubjectByUsername(ctx, idOrName)
	}
	return u, err
}

func (l *localManager) UpdatePerson(ctx context.Context, s *keypad.Subject, name, language *string) (*keypad.Subject, error) {
	if name != nil {
		s.Name = *name
	}
	if language != nil {
		s.PreferredLanguage = *language
	}
	if err := s.Validate(); err != nil {
		return nil, err
	}
	s.UpdatedAt = l.m.Now().UTC()
	return s, l.Store.UpdateSubject(ctx, s)
}

func (l *localManager) SetPassword(ctx context.Context, s *keypad.Subject, pw string) error {
	hash, err := password.Hash(pw, l.m.Rand)
	if err != nil {
		return err
	}
	s.PasswordHash = hash
	s.UpdatedAt = l.m.Now().UTC()
	return l.Store.UpdateSubject(ctx, s)
}

func (l *localManager) DeletePerson(ctx context.Context, s *keypad.Subject) error {
	return l.Store.DeleteSubject(ctx, s.ID)
}

func (l *localManager) ListKeys(ctx context.Context) ([]keyJSON, error) {
	ks, err := l.Store.ListKeys(ctx)
	if err != nil {
		return nil, err
	}
	now := l.m.Now()
	out := make([]keyJSON, 0, len(ks))
	for _, k := range ks {
		j := keyJSON{KID: k.ID, Algorithm: k.Algorithm, Status: manage.KeyStatus(k, now), CreatedAt: k.CreatedAt.UTC()}
		if !k.RetiredAt.IsZero() {
			r := k.RetiredAt.UTC()
			j.RetiredAt = &r
		}
		out = append(out, j)
	}
	return out, nil
}

func (l *localManager) RotateKeys(ctx context.Context) ([]keyJSON, error) {
	keys, _, err := server.OpenKeyring(ctx, l.cfg, l.Store, l.m.Now, l.m.Rand)
	if err != nil {
		return nil, err
	}
	if err := keys.Rotate(ctx); err != nil {
		return nil, err
	}
	return l.ListKeys(ctx)
}

func (l *localManager) RevokeGrants(ctx context.Context, gs []*keypad.Grant) ([]string, error) {
	return manage.RevokeGrants(ctx, l.Store, gs, l.m.Now().UTC(), "admin")
}

func (l *localManager) RevokeToken(ctx context.Context, tok string) (token.Revocation, error) {
	keys, _, err := server.OpenKeyring(ctx, l.cfg, l.Store, l.m.Now, l.m.Rand)
	if err != nil {
		return token.Revocation{}, err
	}
	is := &token.Issuer{Issuer: l.cfg.IssuerURL(""), Keys: keys, Store: l.Store, Grants: l.Store, Now: l.m.Now}
	done, err := is.RevokeAny(ctx, tok)
	if err != nil || !done.Found {
		return done, err
	}
	return done, manage.TokenRevoked(ctx, l.Store, done.ClientID, done.Kind, done.GrantID, l.m.Now().UTC(), "admin")
}

func (l *localManager) CreateInitialToken(ctx context.Context, t *keypad.InitialAccessToken, secret string) (oauth.InitialAccessTokenJSON, error) {
	if err := l.Store.CreateInitialAccessToken(ctx, t); err != nil {
		return oauth.InitialAccessTokenJSON{}, err
	}
	return oauth.NewInitialAccessTokenJSON(t, secret), nil
}
