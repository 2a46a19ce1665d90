package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

func iat(id string, maxUses int) *keypad.InitialAccessToken {
	return &keypad.InitialAccessToken{ID: id, Hash: h("token-" + id), ExpiresAt: t0.Add(time.Hour),
		MaxUses: maxUses, CreatedBy: "cli", CreatedAt: t0}
}

func registration(clientID string) *keypad.ClientRegistration {
	return &keypad.ClientRegistration{ClientID: clientID, TokenHash: h("rat-" + clientID),
		Metadata: keypad.RegistrationMetadata{
			Contacts: []string{"ops@example.com"}, LogoURI: "https://app.example.com/logo.png",
			SoftwareID: "4NRB1-0XZABZI9E6-5SM3R", SoftwareVersion: "2.1",
			ClientNames: map[string]string{"es": "Aplicación"}, StatementIssuer: "https://directory.example.org",
		},
		CreatedAt: t0, UpdatedAt: t0}
}

func testRegistration(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("InitialTokens", func(t *testing.T) {
		s := newStore(t)
		a, b := iat("iat_a", 0), iat("iat_b", 3)
		b.CreatedAt = t0.Add(time.Second)
		must(t, s.CreateInitialAccessToken(t.Context(), b))
		must(t, s.CreateInitialAccessToken(t.Context(), a))
		mustBeErrConflict(t, s.CreateInitialAccessToken(t.Context(), iat("iat_a", 0)))
		got, err := s.ListInitialAccessTokens(t.Context())
		must(t, err)
		mustEqual(t, "initial access tokens", got, []*keypad.InitialAccessToken{a, b})
		must(t, s.DeleteInitialAccessToken(t.Context(), "iat_a"))
		mustBeErrNotFound(t, s.DeleteInitialAccessToken(t.Context(), "iat_a"))
		got, err = s.ListInitialAccessTokens(t.Context())
		must(t, err)
		mustEqual(t, "tokens after delete", len(got), 1)
	})
	t.Run("RegisterOK", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateInitialAccessToken(t.Context(), iat("iat_a", 2)))
		c, r := fullClient("dyn"), registration("dyn")
		must(t, s.RegisterClient(t.Context(), c, r, h("token-iat_a"), t0))
		gotC, err := s.GetClient(t.Context(), "dyn")
		must(t, err)
		mustEqual(t, "client", gotC, c)
		gotR, err := s.GetClientRegistration(t.Context(), "dyn")
		must(t, err)
		mustEqual(t, "registration", gotR, r)
		list, err := s.ListInitialAccessTokens(t.Context())
		must(t, err)
		mustEqual(t, "uses", list[0].Uses, 1)
	})
	t.Run("RegisterWithoutToken", func(t *testing.T) {
		s := newStore(t)
		must(t, s.RegisterClient(t.Context(), fullClient("dyn"), registration("dyn"), nil, t0))
		_, err := s.GetClientRegistration(t.Context(), "dyn")
		must(t, err)
	})
	t.Run("RegisterErrors", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateInitialAccessToken(t.Context(), iat("iat_one", 1)))
		must(t, s.CreateInitialAccessToken(t.Context(), iat("iat_any", 0)))
		for _, tc := range []struct {
			name  string
			token []byte
			now   time.Time
			want  error
		}{
			{"ErrNotFound", h("token-nope"), t0, keypad.ErrNotFound},
			{"ErrExpired", h("token-iat_any"), t0.Add(time.Hour), keypad.ErrExpired},
		} {
			err := s.RegisterClient(t.Context(), fullClient("x"), registration("x"), tc.token, tc.now)
			mustBeErr(t, err, tc.want)
		}
		must(t, s.RegisterClient(t.Context(), fullClient("one"), registration("one"), h("token-iat_one"), t0))
		mustBeErrConsumed(t, s.RegisterClient(t.Context(), fullClient("two"), registration("two"), h("token-iat_one"), t0))
		// A taken ID writes nothing: the token's use is not counted.
		mustBeErrConflict(t, s.RegisterClient(t.Context(), fullClient("one"), registration("one"), h("token-iat_any"), t0))
		for _, id := range []string{"x", "two"} {
			_, err := s.GetClient(t.Context(), id)
			mustBeErrNotFound(t, err)
			_, err = s.GetClientRegistration(t.Context(), id)
			mustBeErrNotFound(t, err)
		}
		list, err := s.ListInitialAccessTokens(t.Context())
		must(t, err)
		for _, tok := range list {
			if tok.ID == "iat_any" && tok.Uses != 0 {
				t.Errorf("iat_any: got %d uses after a refused registration, want 0", tok.Uses)
			}
		}
	})
	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		must(t, s.RegisterClient(t.Context(), fullClient("dyn"), registration("dyn"), nil, t0))
		c, r := fullClient("dyn"), registration("dyn")
		c.Name, c.UpdatedAt = "Renamed", t0.Add(time.Minute)
		r.Metadata = keypad.RegistrationMetadata{SoftwareVersion: "3.0"}
		r.UpdatedAt = t0.Add(time.Minute)
		must(t, s.UpdateRegisteredClient(t.Context(), c, r))
		gotC, err := s.GetClient(t.Context(), "dyn")
		must(t, err)
		mustEqual(t, "client", gotC, c)
		gotR, err := s.GetClientRegistration(t.Context(), "dyn")
		must(t, err)
		mustEqual(t, "registration", gotR, r)
		// A client the CLI made has no registration to update.
		must(t, s.CreateClient(t.Context(), fullClient("cli")))
		mustBeErrNotFound(t, s.UpdateRegisteredClient(t.Context(), fullClient("cli"), registration("cli")))
	})
	t.Run("DeleteClient", func(t *testing.T) {
		s := newStore(t)
		must(t, s.RegisterClient(t.Context(), fullClient("dyn"), registration("dyn"), nil, t0))
		must(t, s.DeleteClient(t.Context(), "dyn"))
		_, err := s.GetClientRegistration(t.Context(), "dyn")
		mustBeErrNotFound(t, err)
		// A client made again with the ID is not reachable with the old
		// registration access token.
		must(t, s.CreateClient(t.Context(), fullClient("dyn")))
		_, err = s.GetClientRegistration(t.Context(), "dyn")
		mustBeErrNotFound(t, err)
	})
}

// raceInitialToken registers with a token of one use from every racer:
// exactly one client is made.
func raceInitialToken(t *testing.T, a, b keypad.Store) {
	must(t, a.CreateInitialAccessToken(t.Context(), iat("iat_race", 1)))
	errs := race(a, b, func(s keypad.Store, i int) error {
		id := fmt.Sprintf("racer-%d", i)
		return s.RegisterClient(t.Context(), fullClient(id), registration(id), h("token-iat_race"), t0)
	})
	mustBeOneWinner(t, errs, keypad.ErrConsumed)
	list, err := a.ListClients(t.Context())
	must(t, err)
	mustEqual(t, "clients registered", len(list), 1)
}
