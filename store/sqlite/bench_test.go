package sqlite_test

import (
	"encoding/binary"
	"fmt"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// BenchmarkCreateToken measures what the token endpoint writes per opaque
// token: one CreateToken, from many goroutines at once.
//
//	go test -run '^$' -bench CreateToken -benchtime 20000x ./store/sqlite/
func BenchmarkCreateToken(b *testing.B) {
	t0 := time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)
	s := open(b, filepath.Join(b.TempDir(), "keypad.db"))
	var n atomic.Uint64
	b.SetParallelism(16) // 16 goroutines per core: requests in flight
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		var secret [32]byte
		for pb.Next() {
			// Keyed as keypad keys the tokens it issues: by issue time.
			i := n.Add(1)
			binary.BigEndian.PutUint64(secret[:], i)
			tok := keypad.NewTokenSecret(keypad.PrefixAccessToken, t0.Add(time.Duration(i)), secret[:])
			err := s.CreateToken(b.Context(), &keypad.Token{
				Hash: keypad.TokenKey(tok), Kind: keypad.KindAccess,
				ClientID: "kiosk", Subject: "alice", Scopes: []string{"usage:read"},
				Audience: []string{"https://api.example"}, GrantID: "g1", FamilyID: "f1",
				IssuedAt: t0, ExpiresAt: t0.Add(time.Hour),
			})
			if err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkCreateTokenAlone creates one token at a time, as at a steady
// low rate: every token is a batch of one, so this is the cost of a
// commit, the soak's case. The row is a client_credentials token's (no
// audience, grant or family).
//
//	go test -run '^$' -bench CreateTokenAlone -benchtime 20000x ./store/sqlite/
func BenchmarkCreateTokenAlone(b *testing.B) {
	t0 := time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)
	s := open(b, filepath.Join(b.TempDir(), "keypad.db"))
	var secret [32]byte
	b.ResetTimer()
	for i := range b.N {
		binary.BigEndian.PutUint64(secret[:], uint64(i))
		tok := keypad.NewTokenSecret(keypad.PrefixAccessToken, t0.Add(time.Duration(i)), secret[:])
		err := s.CreateToken(b.Context(), &keypad.Token{
			Hash: keypad.TokenKey(tok), Kind: keypad.KindAccess,
			ClientID: "kiosk", Subject: "kiosk", Scopes: []string{"usage:read"},
			IssuedAt: t0, ExpiresAt: t0.Add(time.Hour),
		})
		if err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkFindSubjects looks people up by service address among a
// million subjects, two to an address, as the OTP lookup does.
//
//	go test -run '^$' -bench FindSubjects ./store/sqlite/
func BenchmarkFindSubjects(b *testing.B) {
	const subjects = 1_000_000
	s := open(b, filepath.Join(b.TempDir(), "keypad.db"))
	// Bulk-load in SQL: a million CreateSubject calls would take minutes.
	_, err := s.DB().ExecContext(b.Context(), `
		WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $1)
		INSERT INTO subjects (id, password_hash, name, email, phone, identifiers, created_at, updated_at)
		SELECT printf('sub-%07d', i), '', '', '', '',
			'[{"Type":"address","Value":"' || (i / 2) || ' main st"}]', 0, 0 FROM n;
		INSERT INTO subject_identifiers (type, value, subject_id)
		SELECT 'address', json_extract(identifiers, '$[0].Value'), id FROM subjects;`, subjects)
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	i := 0
	for b.Loop() {
		i = (i + 7919) % (subjects / 2)
		got, err := s.FindSubjects(b.Context(), keypad.Identifier{Type: keypad.IdentifierAddress, Value: fmt.Sprintf("%d main st", i)})
		if err != nil {
			b.Fatal(err)
		}
		if len(got) == 0 {
			b.Fatalf("no subject at %d main st", i)
		}
	}
}

// BenchmarkHotReads measures the reads on the token and introspection
// endpoints' path, one at a time; cpu-µs/op is the figure a busy machine
// does not move:
//
//	go test -run '^$' -bench HotReads -benchmem -count 3 ./store/sqlite/
func BenchmarkHotReads(b *testing.B) {
	t0 := time.Date(2026, time.March, 1, 12, 0, 0, 0, time.UTC)
	s := open(b, filepath.Join(b.TempDir(), "keypad.db"))
	ctx := b.Context()
	err := s.CreateClient(ctx, &keypad.Client{
		ID: "svc", Name: "Billing service", SecretHash: keypad.SecretHash("kp_cs_x"),
		GrantTypes: []string{keypad.GrantClientCredentials, keypad.GrantRefreshToken},
		Scopes:     []string{"read", "write"}, RedirectURIs: []string{"https://svc.example/cb"},
		TokenFormat: keypad.FormatJWT, Options: keypad.ClientOptions{AlwaysConsent: true}, CreatedAt: t0,
	})
	if err != nil {
		b.Fatal(err)
	}
	hash := keypad.SecretHash("kp_at_x")
	err = s.CreateToken(ctx, &keypad.Token{Hash: hash, Kind: keypad.KindAccess, ClientID: "svc",
		Subject: "alice", Scopes: []string{"read"}, Audience: []string{"https://api.example"},
		GrantID: "g1", IssuedAt: t0, ExpiresAt: t0.Add(time.Hour)})
	if err != nil {
		b.Fatal(err)
	}
	if err := s.CreateGrant(ctx, &keypad.Grant{ID: "g1", Subject: "alice", ClientID: "svc",
		Scopes: []string{"read"}, Flow: keypad.GrantDeviceCode, CreatedAt: t0}); err != nil {
		b.Fatal(err)
	}
	if err := s.RevokeJTI(ctx, "jti-1", t0.Add(time.Hour)); err != nil {
		b.Fatal(err)
	}
	for _, bc := range []struct {
		name string
		read func() error
	}{
		{"GetClient", func() error { _, err := s.GetClient(ctx, "svc"); return err }},
		{"GetToken", func() error { _, err := s.GetToken(ctx, hash); return err }},
		{"JTIRevoked", func() error {
			revoked, err := s.JTIRevoked(ctx, "jti-1")
			if err == nil && !revoked {
				err = fmt.Errorf("jti-1 not revoked")
			}
			return err
		}},
		{"GetGrant", func() error { _, err := s.GetGrant(ctx, "g1"); return err }},
	} {
		b.Run(bc.name, func(b *testing.B) {
			b.ReportAllocs()
			cpu0 := cpuTime()
			for b.Loop() {
				if err := bc.read(); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/1e3/float64(b.N), "cpu-µs/op")
		})
	}
}
