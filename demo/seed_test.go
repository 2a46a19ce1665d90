package demo

import (
	"context"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/password"
	"github.com/keypadauth/keypad/store/sqlite"
	"github.com/keypadauth/keypad/store/sqlstore"
)

func newStore(t *testing.T) *sqlstore.Store {
	t.Helper()
	st, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "keypad.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	if err := st.Migrate(context.Background()); err != nil {
		t.Fatal(err)
	}
	return st
}

func mustSeed(t *testing.T, st keypad.Store, opts Options) *Seeded {
	t.Helper()
	s, err := Seed(context.Background(), st, opts)
	if err != nil {
		t.Fatalf("Seed: %v", err)
	}
	return s
}

// find looks people up the way the OTP flow does: normalise what was
// typed, then ask the store.
func find(t *testing.T, st keypad.Store, typ keypad.IdentifierType, typed string) []*keypad.Subject {
	t.Helper()
	id, err := identifier.Normalizer{}.Normalize(typ, typed)
	if err != nil {
		t.Fatalf("normalise %s %q: %v", typ, typed, err)
	}
	subs, err := st.FindSubjects(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	return subs
}

func TestSeed(t *testing.T) {
	st := newStore(t)
	s := mustSeed(t, st, Options{})
	ctx := context.Background()

	if got, want := s.Created, DefaultCustomers; got != want {
		t.Errorf("created %d people, want %d", got, want)
	}
	subs, err := st.ListSubjects(ctx, "", 0)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(subs), DefaultCustomers; got != want {
		t.Errorf("store holds %d people, want %d", got, want)
	}

	t.Run("OKHeather", func(t *testing.T) {
		for _, q := range []struct {
			typ   keypad.IdentifierType
			typed string
		}{
			{keypad.IdentifierAddress, "123 Main Street"},
			{keypad.IdentifierAddress, "123 main st, Greenvale OR 97401"},
			{keypad.IdentifierPhone, "541-555-4821"},
			{keypad.IdentifierEmail, "Heather@Example.com"},
			{keypad.IdentifierAccount, "1002-0030-0"},
		} {
			got := find(t, st, q.typ, q.typed)
			if len(got) != 1 || got[0].Name != Heather.Name {
				t.Errorf("%s %q finds %d people, want Heather alone", q.typ, q.typed, len(got))
			}
		}
		h, err := st.GetSubjectByUsername(ctx, Heather.Username)
		if err != nil {
			t.Fatal(err)
		}
		if ok, err := password.Verify(h.PasswordHash, HeatherPassword); !ok || err != nil {
			t.Errorf("Heather's password does not verify: %v", err)
		}
		if got, want := identifier.MaskPhone(h.Phone), "(•••) •••-4821"; got != want {
			t.Errorf("Heather's phone hint = %q, want %q", got, want)
		}
		if got, want := identifier.MaskEmail(h.Email), "h•••@e•••.com"; got != want {
			t.Errorf("Heather's email hint = %q, want %q", got, want)
		}
	})

	t.Run("OKSharedAddress", func(t *testing.T) {
		got := find(t, st, keypad.IdentifierAddress, SharedAddress)
		var names []string
		for _, s := range got {
			names = append(names, s.Name)
		}
		slices.Sort(names)
		if Sharers[0].Language != "es" {
			t.Errorf("Heather's neighbour %s prefers %q, want Spanish", Sharers[0].Name, Sharers[0].Language)
		}
		if want := []string{Sharers[0].Name, Sharers[1].Name}; !slices.Equal(names, want) {
			t.Errorf("%q finds %v, want %v", SharedAddress, names, want)
		}
		for _, c := range Sharers {
			if got := find(t, st, keypad.IdentifierAccount, c.Account); len(got) != 1 || got[0].Name != c.Name {
				t.Errorf("account %s finds %d people, want %s alone", c.Account, len(got), c.Name)
			} else if got[0].PreferredLanguage != c.Language {
				t.Errorf("%s prefers %q, want %q", c.Name, got[0].PreferredLanguage, c.Language)
			}
		}
	})

	t.Run("OKNothingElseShared", func(t *testing.T) {
		owners := map[keypad.Identifier][]string{}
		for _, sub := range subs {
			for _, id := range sub.Identifiers {
				owners[id] = append(owners[id], sub.Name)
			}
		}
		for id, who := range owners {
			if len(who) > 1 && !strings.HasPrefix(id.Value, "88 ELM ST") {
				t.Errorf("%s %q is shared by %v; only the shared address may be", id.Type, id.Value, who)
			}
		}
	})

	t.Run("OKFictionalContacts", func(t *testing.T) {
		for _, sub := range subs {
			if sub.Phone == "" && sub.Email == "" {
				t.Errorf("%s has no phone and no email: the OTP flow cannot reach them", sub.Name)
			}
			if sub.Phone != "" && sub.Name != Heather.Name && !strings.Contains(sub.Phone, "55501") {
				t.Errorf("%s's phone %s is outside 555-0100..0199", sub.Name, sub.Phone)
			}
			if _, host, _ := strings.Cut(sub.Email, "@"); sub.Email != "" && !slices.Contains(emailHosts, host) {
				t.Errorf("%s's email %s is not at an example domain", sub.Name, sub.Email)
			}
		}
	})

	t.Run("OKClients", func(t *testing.T) {
		k, err := st.GetClient(ctx, KioskClientID)
		if err != nil {
			t.Fatal(err)
		}
		if !keypad.SecretMatches(k.SecretHash, s.KioskSecret) || k.Public || !k.AllowsGrant(keypad.GrantOTP) || k.Name != "Bright Audits" {
			t.Errorf("kiosk client = %+v, want confidential Bright Audits with the OTP grant and the returned secret", k)
		}
		e, err := st.GetClient(ctx, EnergyClientID)
		if err != nil {
			t.Fatal(err)
		}
		if !keypad.SecretMatches(e.SecretHash, s.EnergySecret) || e.Public {
			t.Error("energy client is not confidential with the returned secret")
		}
		if !e.Options.IntrospectAny {
			t.Error("energy client may not introspect the TV app's opaque tokens; it needs IntrospectAny")
		}
		for _, id := range []string{TVClientID, CLIClientID} {
			c, err := st.GetClient(ctx, id)
			if err != nil {
				t.Fatal(err)
			}
			if !c.Public || !c.AllowsGrant(keypad.GrantDeviceCode) || !slices.Contains(c.Scopes, ScopeUsage) {
				t.Errorf("client %s = %+v, want a public device-flow client with %s", id, c, ScopeUsage)
			}
		}
		sc, err := st.GetScope(ctx, ScopeUsage)
		if err != nil {
			t.Fatal(err)
		}
		if got, want := sc.Description, "read your energy usage history (12 months)"; got != want {
			t.Errorf("%s description = %q, want %q", ScopeUsage, got, want)
		}
	})

	t.Run("OKAgain", func(t *testing.T) {
		again := mustSeed(t, st, Options{})
		if again.Created != 0 {
			t.Errorf("a second seed created %d people, want 0", again.Created)
		}
		k, err := st.GetClient(ctx, KioskClientID)
		if err != nil {
			t.Fatal(err)
		}
		if again.KioskSecret == s.KioskSecret || !keypad.SecretMatches(k.SecretHash, again.KioskSecret) {
			t.Error("a second seed did not give the kiosk a fresh secret that works")
		}
	})

	t.Run("OKEnergyCustomers", func(t *testing.T) {
		c, ok := s.EnergyCustomers()(s.Customers[0].Subject)
		if !ok || c.Key != Heather.Account {
			t.Errorf("energy customer for Heather's subject = %+v, %v; want key %s", c, ok, Heather.Account)
		}
		if _, ok := s.EnergyCustomers()("nobody"); ok {
			t.Error("an unknown subject is an energy customer")
		}
	})
}

func TestCustomersDeterministic(t *testing.T) {
	a, b := customers(7, 200), customers(7, 200)
	if !slices.Equal(a, b) {
		t.Fatal("the same seed gave different customers")
	}
	c := customers(8, 200)
	if slices.Equal(a[3:], c[3:]) {
		t.Error("another seed gave the same synthetic customers")
	}
	if a[0].Name != Heather.Name || a[0].Subject == "" {
		t.Errorf("first customer = %+v, want Heather with a subject", a[0])
	}
}

func BenchmarkSeed(b *testing.B) {
	for b.Loop() {
		b.StopTimer()
		dir := b.TempDir()
		st, err := sqlite.Open(context.Background(), filepath.Join(dir, "keypad.db"))
		if err != nil {
			b.Fatal(err)
		}
		if err := st.Migrate(context.Background()); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if _, err := Seed(context.Background(), st, Options{}); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		st.Close()
		b.StartTimer()
	}
}
