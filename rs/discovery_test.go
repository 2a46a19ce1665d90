package rs

import "testing"

func TestMetadataURL(t *testing.T) {
	tests := []struct{ issuer, want string }{
		{"http://127.0.0.1:8080", "http://127.0.0.1:8080/.well-known/oauth-authorization-server"},
		{"https://id.example.com/", "https://id.example.com/.well-known/oauth-authorization-server"},
		{"https://example.com/tenant1", "https://example.com/.well-known/oauth-authorization-server/tenant1"},
	}
	for _, tt := range tests {
		if got, err := metadataURL(tt.issuer); err != nil || got != tt.want {
			t.Errorf("metadataURL(%q) = %q, %v; want %q", tt.issuer, got, err, tt.want)
		}
	}
	for _, bad := range []string{"", "example.com", "https://x.com/?a=b"} {
		if _, err := metadataURL(bad); err == nil {
			t.Errorf("metadataURL(%q): no error", bad)
		}
	}
}
