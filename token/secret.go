package token

import (
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"crypto/hkdf"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// MinSecretLen is the least number of secret bytes keypad accepts: the
// server secret seals every private signing key, so it must carry at least
// 256 bits.
const MinSecretLen = 32

// LoadSecret returns the server secret. envValue (KEYPAD_SECRET) wins when
// set: base64 (standard or URL alphabet, padded or not) or hex of at least
// 32 bytes, or else a passphrase of at least 32 characters. Otherwise the
// secret lives in the file at path; a file that group or others may access
// is refused, and a missing one is created with 32 random bytes, mode 0600,
// so a first start needs no set-up.
func LoadSecret(envValue, path string) ([]byte, error) {
	if envValue != "" {
		s, err := parseSecret(envValue)
		if err != nil {
			return nil, fmt.Errorf("KEYPAD_SECRET: %w", err)
		}
		return s, nil
	}
	if path == "" {
		return nil, errors.New("no server secret: set KEYPAD_SECRET or give a secret file path")
	}
	s, err := readSecretFile(path)
	if errors.Is(err, fs.ErrNotExist) {
		if err := createSecretFile(path); err != nil {
			return nil, err
		}
		s, err = readSecretFile(path)
	}
	return s, err
}

// parseSecret decodes a secret given as text.
func parseSecret(v string) ([]byte, error) {
	v = strings.TrimSpace(v)
	decoders := []func(string) ([]byte, error){
		hex.DecodeString,
		base64.StdEncoding.DecodeString,
		base64.RawStdEncoding.DecodeString,
		base64.URLEncoding.DecodeString,
		base64.RawURLEncoding.DecodeString,
	}
	for _, dec := range decoders {
		if b, err := dec(v); err == nil && len(b) >= MinSecretLen {
			return b, nil
		}
	}
	if len(v) >= MinSecretLen {
		// A passphrase: HKDF turns it into keys; its strength is the
		// operator's responsibility.
		return []byte(v), nil
	}
	return nil, fmt.Errorf("secret is too short (%d characters): give at least %d random bytes as base64 or hex (for example the output of `openssl rand -base64 32`) or a passphrase of at least %d characters", len(v), MinSecretLen, MinSecretLen)
}

func readSecretFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, fmt.Errorf("secret file: %w", err)
	}
	if perm := st.Mode().Perm(); perm&0o077 != 0 {
		return nil, fmt.Errorf("secret file %s is accessible by group or others (mode %04o): run `chmod 600 %s`", path, perm, path)
	}
	b, err := io.ReadAll(io.LimitReader(f, 4096))
	if err != nil {
		return nil, fmt.Errorf("secret file %s: %w", path, err)
	}
	s, err := parseSecret(string(b))
	if err != nil {
		return nil, fmt.Errorf("secret file %s: %w", path, err)
	}
	return s, nil
}

// createSecretFile writes a fresh secret so that no reader ever sees a
// half-written file: the secret goes to a private temporary file first,
// which is then linked into place. Link fails if another instance won the
// race, and then that instance's secret is the one used.
func createSecretFile(path string) error {
	dir := filepath.Dir(path)
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return fmt.Errorf("create secret file: %w", err)
	}
	tmp, err := os.CreateTemp(dir, ".keypad-secret-*")
	if err != nil {
		return fmt.Errorf("create secret file: %w", err)
	}
	defer os.Remove(tmp.Name())
	secret := make([]byte, MinSecretLen)
	rand.Read(secret)
	text := base64.StdEncoding.EncodeToString(secret) + "\n"
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return fmt.Errorf("create secret file: %w", err)
	}
	if _, err := tmp.WriteString(text); err != nil {
		tmp.Close()
		return fmt.Errorf("create secret file: %w", err)
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return fmt.Errorf("create secret file: %w", err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("create secret file: %w", err)
	}
	if err := os.Link(tmp.Name(), path); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("create secret file: %w", err)
	}
	return nil
}

// sealVersion is the first byte of every sealed value, so the format can
// change without guessing.
const sealVersion = 1

// Sealer encrypts small values (private signing keys) with a key derived
// from the server secret, and derives further purpose-bound keys from the
// same secret. Whoever reads the database without the secret learns no
// private key; whoever swaps sealed values between records is caught by the
// associated data.
type Sealer struct {
	secret []byte
	aead   cipher.AEAD
	rand   io.Reader
}

// NewSealer returns a Sealer for secret. rand supplies nonces (nil means
// crypto/rand) and must be safe for concurrent use.
func NewSealer(secret []byte, rand io.Reader) (*Sealer, error) {
	if len(secret) < MinSecretLen {
		return nil, fmt.Errorf("server secret has %d bytes, want at least %d", len(secret), MinSecretLen)
	}
	s := &Sealer{secret: bytes.Clone(secret), rand: rand}
	block, err := aes.NewCipher(s.derive("keypad/seal/aes-256-gcm/v1"))
	if err != nil {
		return nil, fmt.Errorf("sealer: %w", err)
	}
	if s.aead, err = cipher.NewGCM(block); err != nil {
		return nil, fmt.Errorf("sealer: %w", err)
	}
	return s, nil
}

// DeriveKey returns a 32-byte key bound to label, for uses such as HMAC
// keys for OTP decoys. Distinct labels give independent keys, and none of
// them equals the sealing key.
func (s *Sealer) DeriveKey(label string) []byte {
	return s.derive("keypad/derive/" + label)
}

func (s *Sealer) derive(info string) []byte {
	k, err := hkdf.Key(sha256.New, s.secret, nil, info, 32)
	if err != nil {
		// Only possible for lengths beyond 255*32 bytes.
		panic("token: hkdf: " + err.Error())
	}
	return k
}

// Seal encrypts and authenticates plaintext; ad (associated data, such as
// the record's key) must be given again to Open.
func (s *Sealer) Seal(plaintext, ad []byte) ([]byte, error) {
	out := make([]byte, 1+s.aead.NonceSize(), 1+s.aead.NonceSize()+len(plaintext)+s.aead.Overhead())
	out[0] = sealVersion
	nonce := out[1:]
	if s.rand == nil {
		rand.Read(nonce)
	} else if _, err := io.ReadFull(s.rand, nonce); err != nil {
		return nil, fmt.Errorf("seal: read nonce: %w", err)
	}
	return s.aead.Seal(out, nonce, plaintext, ad), nil
}

// ErrUnseal means a sealed value could not be opened: it was sealed with
// another server secret, for another record, or was altered.
var ErrUnseal = errors.New("cannot open sealed value: wrong server secret or corrupted data")

// Open decrypts a value made by Seal with the same ad.
func (s *Sealer) Open(sealed, ad []byte) ([]byte, error) {
	n := s.aead.NonceSize()
	if len(sealed) < 1+n+s.aead.Overhead() || sealed[0] != sealVersion {
		return nil, ErrUnseal
	}
	pt, err := s.aead.Open(nil, sealed[1:1+n], sealed[1+n:], ad)
	if err != nil {
		return nil, ErrUnseal
	}
	return pt, nil
}
