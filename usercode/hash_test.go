package usercode

import (
	"bytes"
	"crypto/sha256"
	"strings"
	"testing"
)

func TestHash(t *testing.T) {
	k1 := []byte(strings.Repeat("a", 32))
	k2 := []byte(strings.Repeat("b", 32))
	if !bytes.Equal(Hash(k1, "WDJBMJHT"), Hash(k1, "WDJBMJHT")) {
		t.Error("Hash is not deterministic; stored codes could never be found")
	}
	if bytes.Equal(Hash(k1, "WDJBMJHT"), Hash(k2, "WDJBMJHT")) {
		t.Error("Hash ignores the key")
	}
	if bytes.Equal(Hash(k1, "WDJBMJHT"), Hash(k1, "WDJBMJHX")) {
		t.Error("two codes hash alike")
	}
	plain := sha256.Sum256([]byte("WDJBMJHT"))
	if bytes.Equal(Hash(k1, "WDJBMJHT"), plain[:]) {
		t.Error("Hash is an unkeyed SHA-256")
	}
	if err := CheckKey("test", k1[:31]); err == nil {
		t.Error("CheckKey accepted a 31-byte key")
	}
	if err := CheckKey("test", k1); err != nil {
		t.Errorf("CheckKey(32 bytes) = %v", err)
	}
}
