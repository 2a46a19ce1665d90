package storetest

import (
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

func fullClient(id string) *keypad.Client {
	return &keypad.Client{
		ID:           id,
		Name:         "Kiosk " + id,
		Description:  "energy kiosk at the hardware store",
		Descriptions: keypad.Descriptions{"es": "quiosco de energía en la ferretería", "pt-BR": "quiosque de energia"},
		SecretHash:   h("kp_cs_" + id),
		GrantTypes:   []string{keypad.GrantOTP, keypad.GrantRefreshToken},
		Scopes:       []string{"usage:read", "profile"},
		RedirectURIs: []string{"https://kiosk.example/cb", "http://127.0.0.1/cb"},
		TokenFormat:  keypad.FormatOpaque,
		AccessTTL:    15 * time.Minute,
		RefreshTTL:   720 * time.Hour,
		Options: keypad.ClientOptions{
			SigningAlg: keypad.AlgRS256, AllowPlainPKCE: true, AlwaysConsent: true,
			RefreshIdleTTL: 48 * time.Hour, RefreshNoExpiry: true, ExplicitUnknownIdentifier: true,
			SAMLIdPs: []string{"idp_acme", "idp_beta"},
		},
		CreatedAt: t0,
		UpdatedAt: t0.Add(time.Second),
	}
}

func testClients(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t)
		want := fullClient("kiosk")
		must(t, s.CreateClient(t.Context(), want))
		got, err := s.GetClient(t.Context(), "kiosk")
		must(t, err)
		mustEqual(t, "client", got, want)
	})
	t.Run("ZeroValues", func(t *testing.T) {
		s := newStore(t)
		want := &keypad.Client{ID: "tv", Public: true}
		must(t, s.CreateClient(t.Context(), want))
		got, err := s.GetClient(t.Context(), "tv")
		must(t, err)
		mustEqual(t, "client", got, want)
	})
	t.Run("EmptySlices", func(t *testing.T) {
		s := newStore(t)
		want := &keypad.Client{ID: "tv", GrantTypes: []string{}, Scopes: []string{}, RedirectURIs: []string{}}
		must(t, s.CreateClient(t.Context(), want))
		got, err := s.GetClient(t.Context(), "tv")
		must(t, err)
		mustEqual(t, "client", got, want)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateClient(t.Context(), fullClient("kiosk")))
		mustBeErrConflict(t, s.CreateClient(t.Context(), &keypad.Client{ID: "kiosk"}))
		got, err := s.GetClient(t.Context(), "kiosk")
		must(t, err)
		mustEqual(t, "client after failed create", got, fullClient("kiosk"))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.GetClient(t.Context(), "nobody")
		mustBeErrNotFound(t, err)
		mustBeErrNotFound(t, s.UpdateClient(t.Context(), fullClient("nobody")))
		mustBeErrNotFound(t, s.DeleteClient(t.Context(), "nobody"))
	})
	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateClient(t.Context(), fullClient("kiosk")))
		want := &keypad.Client{ID: "kiosk", Name: "renamed", Public: true, TokenFormat: keypad.FormatJWT,
			GrantTypes: []string{keypad.GrantDeviceCode}, UpdatedAt: t0.Add(time.Hour)}
		must(t, s.UpdateClient(t.Context(), want))
		got, err := s.GetClient(t.Context(), "kiosk")
		must(t, err)
		mustEqual(t, "client", got, want)
	})
	t.Run("List", func(t *testing.T) {
		s := newStore(t)
		got, err := s.ListClients(t.Context())
		must(t, err)
		mustEqual(t, "clients of an empty store", len(got), 0)
		for _, id := range []string{"c", "a", "b"} {
			must(t, s.CreateClient(t.Context(), fullClient(id)))
		}
		got, err = s.ListClients(t.Context())
		must(t, err)
		mustEqual(t, "client IDs", keys(got, func(c *keypad.Client) string { return c.ID }), []string{"a", "b", "c"})
		mustEqual(t, "first client", got[0], fullClient("a"))
	})
	t.Run("DeleteRemovesIssued", func(t *testing.T) {
		s := newStore(t)
		ctx := t.Context()
		for _, id := range []string{"gone", "kept"} {
			must(t, s.CreateClient(ctx, fullClient(id)))
			must(t, s.CreateGrant(ctx, &keypad.Grant{ID: "g-" + id, Subject: "alice", ClientID: id, CreatedAt: t0}))
			must(t, s.CreateToken(ctx, &keypad.Token{Hash: h("at-" + id), Kind: keypad.KindAccess, ClientID: id, GrantID: "g-" + id}))
			must(t, s.CreateAuthCode(ctx, &keypad.AuthCode{Hash: h("ac-" + id), ClientID: id, ExpiresAt: t0.Add(time.Minute)}))
			must(t, s.CreateDeviceAuthorization(ctx, &keypad.DeviceAuthorization{
				DeviceCodeHash: h("dc-" + id), UserCodeHash: h("uc-" + id), ClientID: id, Status: keypad.DevicePending}))
			must(t, s.CreateOTPSession(ctx, &keypad.OTPSession{Hash: h("os-" + id), ClientID: id, Status: keypad.OTPPending}))
		}
		must(t, s.DeleteClient(ctx, "gone"))

		_, err := s.GetClient(ctx, "gone")
		mustBeErrNotFound(t, err)
		_, err = s.GetGrant(ctx, "g-gone")
		mustBeErrNotFound(t, err)
		_, err = s.GetToken(ctx, h("at-gone"))
		mustBeErrNotFound(t, err)
		_, err = s.ConsumeAuthCode(ctx, h("ac-gone"), t0)
		mustBeErrNotFound(t, err)
		_, err = s.GetDeviceAuthorization(ctx, h("dc-gone"))
		mustBeErrNotFound(t, err)
		_, err = s.GetOTPSession(ctx, h("os-gone"))
		mustBeErrNotFound(t, err)

		_, err = s.GetClient(ctx, "kept")
		must(t, err)
		_, err = s.GetGrant(ctx, "g-kept")
		must(t, err)
		_, err = s.GetToken(ctx, h("at-kept"))
		must(t, err)
		_, err = s.ConsumeAuthCode(ctx, h("ac-kept"), t0)
		must(t, err)
		_, err = s.GetDeviceAuthorization(ctx, h("dc-kept"))
		must(t, err)
		_, err = s.GetOTPSession(ctx, h("os-kept"))
		must(t, err)
	})
}

func testScopes(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t)
		want := &keypad.Scope{Name: "usage:read", Description: "read your energy usage history"}
		must(t, s.PutScope(t.Context(), want))
		got, err := s.GetScope(t.Context(), "usage:read")
		must(t, err)
		mustEqual(t, "scope", got, want)
	})
	t.Run("Descriptions", func(t *testing.T) {
		s := newStore(t)
		want := &keypad.Scope{Name: "usage:read", Description: "read your energy usage history",
			Descriptions: keypad.Descriptions{"es": "leer su historial de consumo de energía"}}
		must(t, s.PutScope(t.Context(), want))
		got, err := s.GetScope(t.Context(), "usage:read")
		must(t, err)
		mustEqual(t, "scope", got, want)
		all, err := s.ListScopes(t.Context())
		must(t, err)
		mustEqual(t, "listed scope", all[0], want)
	})
	t.Run("PutReplaces", func(t *testing.T) {
		s := newStore(t)
		must(t, s.PutScope(t.Context(), &keypad.Scope{Name: "usage:read", Description: "old words",
			Descriptions: keypad.Descriptions{"es": "palabras viejas"}}))
		want := &keypad.Scope{Name: "usage:read", Description: "new words"}
		must(t, s.PutScope(t.Context(), want))
		got, err := s.GetScope(t.Context(), "usage:read")
		must(t, err)
		mustEqual(t, "scope", got, want)
	})
	t.Run("List", func(t *testing.T) {
		s := newStore(t)
		for _, n := range []string{"profile", "device:abc:control", "usage:read"} {
			must(t, s.PutScope(t.Context(), &keypad.Scope{Name: n, Description: "about " + n}))
		}
		got, err := s.ListScopes(t.Context())
		must(t, err)
		mustEqual(t, "scope names", keys(got, func(sc *keypad.Scope) string { return sc.Name }),
			[]string{"device:abc:control", "profile", "usage:read"})
		mustEqual(t, "first scope", got[0], &keypad.Scope{Name: "device:abc:control", Description: "about device:abc:control"})
	})
	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		must(t, s.PutScope(t.Context(), &keypad.Scope{Name: "profile"}))
		must(t, s.DeleteScope(t.Context(), "profile"))
		_, err := s.GetScope(t.Context(), "profile")
		mustBeErrNotFound(t, err)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.GetScope(t.Context(), "nope")
		mustBeErrNotFound(t, err)
		mustBeErrNotFound(t, s.DeleteScope(t.Context(), "nope"))
	})
}

func testKeys(t *testing.T, newStore func(*testing.T) keypad.Store) {
	key := func(id string, created time.Time) *keypad.SigningKey {
		return &keypad.SigningKey{ID: id, Algorithm: keypad.AlgES256, PrivateSealed: []byte("sealed " + id),
			Public: []byte("public " + id), CreatedAt: created}
	}
	t.Run("OK", func(t *testing.T) {
		s := newStore(t)
		want := key("k1", t0)
		want.RetiredAt = t0.Add(time.Hour)
		must(t, s.CreateKey(t.Context(), want))
		got, err := s.ListKeys(t.Context())
		must(t, err)
		mustEqual(t, "keys", got, []*keypad.SigningKey{want})
	})
	t.Run("ListNewestFirst", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateKey(t.Context(), key("old", t0)))
		must(t, s.CreateKey(t.Context(), key("new", t0.Add(2*time.Hour))))
		must(t, s.CreateKey(t.Context(), key("mid", t0.Add(time.Hour))))
		got, err := s.ListKeys(t.Context())
		must(t, err)
		mustEqual(t, "key IDs", keys(got, func(k *keypad.SigningKey) string { return k.ID }), []string{"new", "mid", "old"})
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateKey(t.Context(), key("k1", t0)))
		mustBeErrConflict(t, s.CreateKey(t.Context(), key("k1", t0.Add(time.Hour))))
	})
	t.Run("Retire", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateKey(t.Context(), key("k1", t0)))
		must(t, s.RetireKey(t.Context(), "k1", t0.Add(time.Minute)))
		got, err := s.ListKeys(t.Context())
		must(t, err)
		want := key("k1", t0)
		want.RetiredAt = t0.Add(time.Minute)
		mustEqual(t, "keys", got, []*keypad.SigningKey{want})
	})
	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateKey(t.Context(), key("k1", t0)))
		must(t, s.CreateKey(t.Context(), key("k2", t0)))
		must(t, s.DeleteKey(t.Context(), "k1"))
		got, err := s.ListKeys(t.Context())
		must(t, err)
		mustEqual(t, "keys", got, []*keypad.SigningKey{key("k2", t0)})
	})
	t.Run("CreateCurrent", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateCurrentKey(t.Context(), key("k1", t0)))
		mustBeErrConflict(t, s.CreateCurrentKey(t.Context(), key("k2", t0)))
		rs := key("r1", t0)
		rs.Algorithm = keypad.AlgRS256
		must(t, s.CreateCurrentKey(t.Context(), rs)) // another algorithm
		must(t, s.RetireKey(t.Context(), "k1", t0.Add(time.Minute)))
		must(t, s.CreateCurrentKey(t.Context(), key("k3", t0.Add(time.Minute)))) // k1 is retired
		got, err := s.ListKeys(t.Context())
		must(t, err)
		mustEqual(t, "key IDs", keys(got, func(k *keypad.SigningKey) string { return k.ID }), []string{"k3", "r1", "k1"})
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		mustBeErrNotFound(t, s.RetireKey(t.Context(), "nope", t0))
		mustBeErrNotFound(t, s.DeleteKey(t.Context(), "nope"))
	})
}
