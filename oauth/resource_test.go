package oauth

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
)

// badResources are resource parameters RFC 8707 §2 rules out.
var badResources = map[string]string{
	"Relative": "/api",
	"Fragment": "https://api.example.com/#x",
	"Empty":    "",
	"NoScheme": "api.example.com",
}

const meterAPI = "https://meter.example.com/"

// wantAudience checks that tok is a JWT whose aud is want, verified
// against the JWKS.
func wantAudience(t *testing.T, e *env, tok, want string) {
	t.Helper()
	if claims := verifyWithJWKS(t, e, tok); claims["aud"] != want {
		t.Errorf("aud = %v, want %s", claims["aud"], want)
	}
}

// TestResourceClientCredentials: RFC 8707 resource sets the aud of a
// client_credentials token, and a malformed one is invalid_target.
func TestResourceClientCredentials(t *testing.T) {
	e := newEnv(t).start()
	secret := e.mustClient(service("svc", keypad.FormatJWT, "read"))
	form := func(r string) url.Values {
		return url.Values{"grant_type": {keypad.GrantClientCredentials}, "resource": {r}}
	}
	r := wantTokens(t, e.post(PathToken, form(meterAPI), basic("svc", secret)))
	wantAudience(t, e, r.body["access_token"].(string), meterAPI)
	for name, bad := range badResources {
		t.Run("Err"+name, func(t *testing.T) {
			wantError(t, e.post(PathToken, form(bad), basic("svc", secret)), http.StatusBadRequest, CodeInvalidTarget)
		})
	}
}

// TestResourceDeviceCode: a device authorization that named no resource
// lets the device's token request name one, which becomes the aud.
func TestResourceDeviceCode(t *testing.T) {
	e := newDeviceEnv(t, DeviceConfig{})
	e.mustClient(tv("tv", "read"))
	c := e.mustDeviceAuth("tv", "", "read")
	answer(t, e, c.user, "alice", true)
	// A bad resource is refused before the approved code is spent.
	wantError(t, e.pollResource(c, "/relative"), http.StatusBadRequest, CodeInvalidTarget)
	r := wantTokens(t, e.pollResource(c, meterAPI))
	wantAudience(t, e, r.body["access_token"].(string), meterAPI)
	rec, err := e.st.GetToken(t.Context(), keypad.TokenKey(r.body["refresh_token"].(string)))
	if err != nil || len(rec.Audience) != 1 || rec.Audience[0] != meterAPI {
		t.Errorf("refresh token audience %v (%v), want [%s]: a refresh may only narrow it", rec.Audience, err, meterAPI)
	}
}

// otherAPI is a second resource for the device authorization tests.
const otherAPI = "https://other.example.com/api"

// pollResource is the device's token request for c, naming resource
// unless it is "-".
func (e *env) pollResource(c deviceCodes, resource string) response {
	e.t.Helper()
	form := url.Values{"grant_type": {keypad.GrantDeviceCode}, "client_id": {"tv"}, "device_code": {c.device}}
	if resource != "-" {
		form.Set("resource", resource)
	}
	return e.post(PathToken, form, nil)
}

// deviceAuthResources asks for a device authorization for the public
// client tv naming resources (RFC 8707 §2 allows several).
func (e *env) deviceAuthResources(resources ...string) response {
	e.t.Helper()
	return e.post(PathDeviceAuthorization, url.Values{"client_id": {"tv"}, "scope": {"read"}, "resource": resources}, nil)
}

// approvedWithResources runs a device authorization naming resources up
// to the person's approval.
func (e *env) approvedWithResources(t *testing.T, resources ...string) deviceCodes {
	t.Helper()
	r := e.deviceAuthResources(resources...)
	dc, _ := r.body["device_code"].(string)
	uc, _ := r.body["user_code"].(string)
	if r.status != http.StatusOK || dc == "" || uc == "" {
		t.Fatalf("device authorization with resources %v: %d %s", resources, r.status, r.raw)
	}
	c := deviceCodes{device: dc, user: uc}
	answer(t, e, c.user, "alice", true)
	return c
}

// TestResourceDeviceAuthorization: resources named at the device
// authorization endpoint are kept with it and, as for a code (RFC 8707
// §2.2), are the aud unless the token request picks one of them; one not
// granted there is invalid_target and leaves the approved code usable.
func TestResourceDeviceAuthorization(t *testing.T) {
	e := newDeviceEnv(t, DeviceConfig{})
	e.mustClient(tv("tv", "read"))

	t.Run("Audience", func(t *testing.T) {
		c := e.approvedWithResources(t, meterAPI)
		if got := e.record(c).Resources; len(got) != 1 || got[0] != meterAPI {
			t.Fatalf("stored resources %v, want [%s]", got, meterAPI)
		}
		r := wantTokens(t, e.pollResource(c, "-"))
		wantAudience(t, e, r.body["access_token"].(string), meterAPI)
	})
	t.Run("Several", func(t *testing.T) {
		c := e.approvedWithResources(t, meterAPI, otherAPI, meterAPI)
		if got := e.record(c).Resources; len(got) != 2 || got[0] != meterAPI || got[1] != otherAPI {
			t.Fatalf("stored resources %v, want [%s %s] without the repeat", got, meterAPI, otherAPI)
		}
		r := wantTokens(t, e.pollResource(c, "-"))
		aud, _ := verifyWithJWKS(t, e, r.body["access_token"].(string))["aud"].([]any)
		if len(aud) != 2 || aud[0] != meterAPI || aud[1] != otherAPI {
			t.Errorf("aud = %v, want both resources granted", aud)
		}
	})
	t.Run("Narrow", func(t *testing.T) {
		c := e.approvedWithResources(t, meterAPI, otherAPI)
		r := wantTokens(t, e.pollResource(c, otherAPI))
		wantAudience(t, e, r.body["access_token"].(string), otherAPI)
		rec, err := e.st.GetToken(t.Context(), keypad.TokenKey(r.body["refresh_token"].(string)))
		if err != nil || len(rec.Audience) != 1 || rec.Audience[0] != otherAPI {
			t.Errorf("refresh token audience %v (%v), want [%s]", rec.Audience, err, otherAPI)
		}
	})
	t.Run("ErrNotGranted", func(t *testing.T) {
		c := e.approvedWithResources(t, meterAPI)
		before := e.record(c)
		r := e.pollResource(c, otherAPI)
		wantError(t, r, http.StatusBadRequest, CodeInvalidTarget)
		if d, _ := r.body["error_description"].(string); !strings.Contains(d, "device authorization") {
			t.Errorf("refusal %s does not say where the resource must be named", r.raw)
		}
		after := e.record(c)
		if after.Status != keypad.DeviceApproved || !after.LastPolledAt.Equal(before.LastPolledAt) {
			t.Errorf("after a refused resource the authorization is %s polled at %v, want it approved and untouched", after.Status, after.LastPolledAt)
		}
		// Still usable, for a resource granted.
		r = wantTokens(t, e.pollResource(c, meterAPI))
		wantAudience(t, e, r.body["access_token"].(string), meterAPI)
	})
	for name, bad := range badResources {
		t.Run("Err"+name, func(t *testing.T) {
			r := e.deviceAuthResources(meterAPI, bad)
			wantError(t, r, http.StatusBadRequest, CodeInvalidTarget)
			if r.body["device_code"] != nil {
				t.Errorf("a refused request got a device code: %s", r.raw)
			}
		})
	}
	t.Run("ErrRepeatedOther", func(t *testing.T) {
		// Only resource may be repeated.
		r := e.post(PathDeviceAuthorization, url.Values{"client_id": {"tv"}, "scope": {"read", "read"}}, nil)
		wantError(t, r, http.StatusBadRequest, CodeInvalidRequest)
	})
}

// TestResourceOTP: the OTP grant honours resource, and a malformed one
// does not spend the code.
func TestResourceOTP(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.mustPerson("sub-heather", heather)
	c := mustChallenge(t, e.lookup("123 North Main Street Apt 4 62701", ""))
	e.mustSend(c.session, c.channel(t, "sms"))
	code := e.smsCode()
	redeem := func(resource string) response {
		return e.post(PathToken, url.Values{"grant_type": {keypad.GrantOTP}, "otp_session": {c.session}, "otp": {code},
			"resource": {resource}}, basic(e.kiosk.ID, e.secret))
	}
	wantError(t, redeem("https://x.example/#frag"), http.StatusBadRequest, CodeInvalidTarget)
	r := wantTokens(t, redeem(meterAPI))
	in := e.introspect(t, r.body["access_token"].(string))
	if in["active"] != true || in["aud"] != meterAPI {
		t.Errorf("introspection %v, want an active token for %s", in, meterAPI)
	}
}

// TestResourceJWTBearer: a jwt-bearer token is for the resource named,
// and a malformed one leaves the assertion unused.
func TestResourceJWTBearer(t *testing.T) {
	a := newAssertionEnv(t)
	assertion := a.rs256(a.claims())
	wantError(t, a.exchange("partner", assertion, url.Values{"resource": {"relative"}}), http.StatusBadRequest, CodeInvalidTarget)
	r := wantTokens(t, a.exchange("partner", assertion, url.Values{"resource": {meterAPI}}))
	wantAudience(t, a.env, r.body["access_token"].(string), meterAPI)
}
