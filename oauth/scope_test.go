package oauth

import (
	"slices"
	"testing"

	"github.com/keypadauth/keypad/token"
)

func TestRequestableScopes(t *testing.T) {
	client := []string{"openid", "api:read", "device:{id}:read", "device:{id}:control"}
	for _, c := range []struct {
		name      string
		requested []string
		want      []string // nil means invalid_scope
	}{
		{"OKDefaultsSkipPatterns", nil, []string{"openid", "api:read"}},
		{"OKLiteral", []string{"api:read"}, []string{"api:read"}},
		{"OKInstance", []string{"device:abc123:read"}, []string{"device:abc123:read"}},
		{"OKTwoDevices", []string{"device:abc123:read", "device:x-1.y_2:control"}, []string{"device:abc123:read", "device:x-1.y_2:control"}},
		{"ErrPatternItself", []string{"device:{id}:read"}, nil},
		{"ErrNotRegistered", []string{"api:write"}, nil},
		{"ErrEmptyValue", []string{"device::read"}, nil},
		{"ErrValueWithColon", []string{"device:abc:123:read"}, nil},
		{"ErrValueWithSlash", []string{"device:../x:read"}, nil},
		{"ErrOtherSuffix", []string{"device:abc123:delete"}, nil},
		{"ErrTrailing", []string{"device:abc123:readx"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := requestableScopes(c.requested, client)
			if c.want == nil {
				if e, _ := AsError(err); err == nil || e.Code != CodeInvalidScope {
					t.Errorf("got %v, %v; want invalid_scope", got, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, c.want) {
				t.Errorf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

func TestNarrowScopes(t *testing.T) {
	granted := []string{"api:read", "device:abc123:read"}
	for _, c := range []struct {
		name      string
		requested []string
		want      []string
	}{
		{"OKKeep", nil, granted},
		{"OKNarrow", []string{"device:abc123:read"}, []string{"device:abc123:read"}},
		{"ErrOtherDevice", []string{"device:xyz:read"}, nil},
		{"ErrPattern", []string{"device:{id}:read"}, nil},
		{"ErrWider", []string{"api:read", "api:write"}, nil},
	} {
		t.Run(c.name, func(t *testing.T) {
			got, err := narrowScopes(c.requested, granted)
			if c.want == nil {
				if err == nil || err.(*Error).Code != CodeInvalidScope {
					t.Errorf("got %v, %v; want invalid_scope", got, err)
				}
				return
			}
			if err != nil || !slices.Equal(got, c.want) {
				t.Errorf("got %v, %v; want %v", got, err, c.want)
			}
		})
	}
}

func TestParsePrompt(t *testing.T) {
	for _, c := range []struct {
		in  string
		ok  bool
		out []string
	}{
		{"", true, nil},
		{"login consent", true, []string{"login", "consent"}},
		{"none", true, []string{"none"}},
		{"select_account", true, []string{"select_account"}},
		{"none consent", false, nil},
		{"bogus", false, nil},
	} {
		got, err := parsePrompt(c.in)
		if (err == nil) != c.ok || !slices.Equal(got, c.out) {
			t.Errorf("parsePrompt(%q) = %v, %v; want %v ok=%v", c.in, got, err, c.out, c.ok)
		}
	}
}

func TestAuthCodeConfigValidate(t *testing.T) {
	for _, c := range []struct {
		name string
		cfg  AuthCodeConfig
		ok   bool
	}{
		{"OKZero", AuthCodeConfig{}, true},
		{"OKTenMinutes", AuthCodeConfig{CodeLifetime: maxCodeLifetime}, true},
		{"ErrLongCode", AuthCodeConfig{CodeLifetime: maxCodeLifetime + 1}, false},
		{"ErrLongIDToken", AuthCodeConfig{IDTokenTTL: token.MaxJWTAccessTTL + 1}, false},
		{"ErrRelativeResource", AuthCodeConfig{Resources: []string{"/api"}}, false},
		{"OKResource", AuthCodeConfig{Resources: []string{"https://api.example.com/"}}, true},
	} {
		if err := c.cfg.Validate(); (err == nil) != c.ok {
			t.Errorf("%s: Validate = %v, want ok=%v", c.name, err, c.ok)
		}
	}
}
