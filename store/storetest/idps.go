package storetest

import (
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

func fullIdP(id, entityID string) *keypad.IdP {
	return &keypad.IdP{
		ID: id, Name: "Acme SSO " + id, EntityID: entityID,
		Certificates: [][]byte{{0x30, 0x82, 0x01}, {0x30, 0x82, 0x02, 0xff}},
		NameIDMap:    "attribute:urn:oid:0.9.2342.19200300.100.1.1",
		CreatedAt:    t0, UpdatedAt: t0.Add(time.Second),
	}
}

func testIdPs(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("RoundTrip", func(t *testing.T) {
		s := newStore(t)
		want := fullIdP("idp_acme", "https://sso.acme.example/saml")
		must(t, s.CreateIdP(t.Context(), want))
		got, err := s.GetIdP(t.Context(), "idp_acme")
		must(t, err)
		mustEqual(t, "idp", got, want)
		got, err = s.GetIdPByEntityID(t.Context(), "https://sso.acme.example/saml")
		must(t, err)
		mustEqual(t, "idp by entity id", got, want)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateIdP(t.Context(), fullIdP("idp_acme", "https://a.example")))
		mustBeErrConflict(t, s.CreateIdP(t.Context(), fullIdP("idp_acme", "https://b.example")))
		mustBeErrConflict(t, s.CreateIdP(t.Context(), fullIdP("idp_other", "https://a.example")))
		must(t, s.CreateIdP(t.Context(), fullIdP("idp_b", "https://b.example")))
		p := fullIdP("idp_b", "https://a.example")
		mustBeErrConflict(t, s.UpdateIdP(t.Context(), p))
	})
	t.Run("UpdateReplacesCertificates", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateIdP(t.Context(), fullIdP("idp_acme", "https://a.example")))
		want := fullIdP("idp_acme", "https://a2.example")
		want.Name, want.NameIDMap = "Acme (new)", keypad.NameIDMapEmail
		want.Certificates = [][]byte{{0x30, 0x03}}
		want.UpdatedAt = t0.Add(time.Hour)
		must(t, s.UpdateIdP(t.Context(), want))
		got, err := s.GetIdP(t.Context(), "idp_acme")
		must(t, err)
		mustEqual(t, "updated idp", got, want)
		_, err = s.GetIdPByEntityID(t.Context(), "https://a.example")
		mustBeErrNotFound(t, err)
	})
	t.Run("List", func(t *testing.T) {
		s := newStore(t)
		for _, id := range []string{"idp_c", "idp_a", "idp_b"} {
			must(t, s.CreateIdP(t.Context(), fullIdP(id, "https://"+id+".example")))
		}
		got, err := s.ListIdPs(t.Context())
		must(t, err)
		mustEqual(t, "idp ids", keys(got, func(p *keypad.IdP) string { return p.ID }), []string{"idp_a", "idp_b", "idp_c"})
	})
	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateIdP(t.Context(), fullIdP("idp_acme", "https://a.example")))
		must(t, s.DeleteIdP(t.Context(), "idp_acme"))
		_, err := s.GetIdP(t.Context(), "idp_acme")
		mustBeErrNotFound(t, err)
		mustBeErrNotFound(t, s.DeleteIdP(t.Context(), "idp_acme"))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.GetIdP(t.Context(), "idp_none")
		mustBeErrNotFound(t, err)
		_, err = s.GetIdPByEntityID(t.Context(), "https://none.example")
		mustBeErrNotFound(t, err)
		mustBeErrNotFound(t, s.UpdateIdP(t.Context(), fullIdP("idp_none", "https://none.example")))
	})
}
