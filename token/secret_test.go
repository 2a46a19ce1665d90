package token

import (
	"bytes"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func TestLoadSecretEnv(t *testing.T) {
	raw := bytes.Repeat([]byte{0xA5}, 32)
	tests := []struct {
		name    string
		env     string
		want    []byte
		wantErr string
	}{
		{name: "OKBase64", env: base64.StdEncoding.EncodeToString(raw), want: raw},
		{name: "OKBase64URLRaw", env: base64.RawURLEncoding.EncodeToString(raw), want: raw},
		{name: "OKHex", env: hex.EncodeToString(raw), want: raw},
		{name: "OKPassphrase", env: "correct horse battery staple and more", want: []byte("correct horse battery staple and more")},
		{name: "OKSurroundingSpace", env: " " + hex.EncodeToString(raw) + "\n", want: raw},
		{name: "ErrShortBase64", env: base64.StdEncoding.EncodeToString(raw[:16]), wantErr: "too short"},
		{name: "ErrShortPassphrase", env: "hunter2", wantErr: "at least 32"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := LoadSecret(tt.env, "")
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) || !strings.Contains(err.Error(), "KEYPAD_SECRET") {
					t.Fatalf("LoadSecret(%q) error = %v, want one naming KEYPAD_SECRET containing %q", tt.env, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("LoadSecret(%q): %v", tt.env, err)
			}
			if !bytes.Equal(got, tt.want) {
				t.Errorf("LoadSecret(%q) = %x, want %x", tt.env, got, tt.want)
			}
		})
	}
}

func TestLoadSecretFile(t *testing.T) {
	t.Run("OKCreated", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "sub", "secret")
		first, err := LoadSecret("", path)
		if err != nil {
			t.Fatalf("first LoadSecret: %v", err)
		}
		if len(first) != 32 {
			t.Errorf("created secret has %d bytes, want 32", len(first))
		}
		st, err := os.Stat(path)
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode().Perm(); got != 0o600 {
			t.Errorf("secret file mode = %04o, want 0600", got)
		}
		again, err := LoadSecret("", path)
		if err != nil {
			t.Fatalf("second LoadSecret: %v", err)
		}
		if !bytes.Equal(first, again) {
			t.Errorf("second load = %x, want the created %x", again, first)
		}
		entries, _ := os.ReadDir(filepath.Dir(path))
		if len(entries) != 1 {
			t.Errorf("directory holds %d entries, want only the secret (no temporary left)", len(entries))
		}
	})
	t.Run("OKEnvWins", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "secret")
		got, err := LoadSecret(strings.Repeat("x", 40), path)
		if err != nil || string(got) != strings.Repeat("x", 40) {
			t.Fatalf("LoadSecret = %q, %v; want the env passphrase", got, err)
		}
		if _, err := os.Stat(path); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("secret file was created although KEYPAD_SECRET was set (stat: %v)", err)
		}
	})
	t.Run("ErrGroupReadable", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "secret")
		if err := os.WriteFile(path, []byte(hex.EncodeToString(make([]byte, 32))), 0o640); err != nil {
			t.Fatal(err)
		}
		_, err := LoadSecret("", path)
		if err == nil || !strings.Contains(err.Error(), "chmod 600") {
			t.Fatalf("LoadSecret on a 0640 file: err = %v, want advice to chmod 600", err)
		}
	})
	t.Run("ErrShortFile", func(t *testing.T) {
		path := filepath.Join(t.TempDir(), "secret")
		if err := os.WriteFile(path, []byte("short"), 0o600); err != nil {
			t.Fatal(err)
		}
		_, err := LoadSecret("", path)
		if err == nil || !strings.Contains(err.Error(), path) {
			t.Fatalf("LoadSecret on a short file: err = %v, want one naming the file", err)
		}
	})
	t.Run("ErrNoSource", func(t *testing.T) {
		if _, err := LoadSecret("", ""); err == nil {
			t.Fatal("LoadSecret with neither env nor path succeeded")
		}
	})
}

func TestSealer(t *testing.T) {
	s := mustSealer(t, testSecret)
	msg := []byte("private key bytes")
	sealed, err := s.Seal(msg, []byte("kid-1"))
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, msg) {
		t.Fatal("sealed value contains the plaintext")
	}
	t.Run("OK", func(t *testing.T) {
		got, err := s.Open(sealed, []byte("kid-1"))
		if err != nil || !bytes.Equal(got, msg) {
			t.Fatalf("Open = %q, %v; want %q", got, err, msg)
		}
	})
	t.Run("ErrOtherAD", func(t *testing.T) {
		if _, err := s.Open(sealed, []byte("kid-2")); !errors.Is(err, ErrUnseal) {
			t.Fatalf("Open with other AD: err = %v, want ErrUnseal", err)
		}
	})
	t.Run("ErrOtherSecret", func(t *testing.T) {
		other := mustSealer(t, bytes.Repeat([]byte("z"), 32))
		if _, err := other.Open(sealed, []byte("kid-1")); !errors.Is(err, ErrUnseal) {
			t.Fatalf("Open with other secret: err = %v, want ErrUnseal", err)
		}
	})
	t.Run("ErrTampered", func(t *testing.T) {
		for i := range sealed {
			bad := bytes.Clone(sealed)
			bad[i] ^= 1
			if _, err := s.Open(bad, []byte("kid-1")); !errors.Is(err, ErrUnseal) {
				t.Fatalf("Open with byte %d flipped: err = %v, want ErrUnseal", i, err)
			}
		}
		if _, err := s.Open(sealed[:10], []byte("kid-1")); !errors.Is(err, ErrUnseal) {
			t.Fatalf("Open of a truncated value: err = %v, want ErrUnseal", err)
		}
	})
	t.Run("ErrShortSecret", func(t *testing.T) {
		if _, err := NewSealer(make([]byte, 31), nil); err == nil {
			t.Fatal("NewSealer accepted a 31-byte secret")
		}
	})
}

func TestDeriveKey(t *testing.T) {
	a := mustSealer(t, testSecret)
	b := mustSealer(t, testSecret)
	if got, want := a.DeriveKey("otp-decoy"), b.DeriveKey("otp-decoy"); !bytes.Equal(got, want) {
		t.Errorf("DeriveKey is not deterministic: %x vs %x", got, want)
	}
	if bytes.Equal(a.DeriveKey("otp-decoy"), a.DeriveKey("other")) {
		t.Error("different labels derived the same key")
	}
	if len(a.DeriveKey("x")) != 32 {
		t.Errorf("derived key has %d bytes, want 32", len(a.DeriveKey("x")))
	}
	other := mustSealer(t, bytes.Repeat([]byte("q"), 32))
	if bytes.Equal(a.DeriveKey("otp-decoy"), other.DeriveKey("otp-decoy")) {
		t.Error("different secrets derived the same key")
	}
}
