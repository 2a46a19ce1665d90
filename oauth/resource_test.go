package oauth

import (
	"net/http"
	"net/url"
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

// TestResourceDeviceCode: the device's token request may name the
// resource; at the device authorization endpoint, which keeps none, it is
// refused with a pointer to the token request rather than ignored.
func TestResourceDeviceCode(t *testing.T) {
	e := newDeviceEnv(t, DeviceConfig{})
	e.mustClient(tv("tv", "read"))
	c := e.mustDeviceAuth("tv", "", "read")
	answer(t, e, c.user, "alice", true)
	poll := func(resource string) response {
		return e.post(PathToken, url.Values{"grant_type": {keypad.GrantDeviceCode}, "client_id": {"tv"},
			"device_code": {c.device}, "resource": {resource}}, nil)
	}
	// A bad resource is refused before the approved code is spent.
	wantError(t, poll("/relative"), http.StatusBadRequest, CodeInvalidTarget)
	r := wantTokens(t, poll(meterAPI))
	wantAudience(t, e, r.body["access_token"].(string), meterAPI)
	rec, err := e.st.GetToken(t.Context(), keypad.SecretHash(r.body["refresh_token"].(string)))
	if err != nil || len(rec.Audience) != 1 || rec.Audience[0] != meterAPI {
		t.Errorf("refresh token audience %v (%v), want [%s]: a refresh may only narrow it", rec.Audience, err, meterAPI)
	}

	at := e.post(PathDeviceAuthorization, url.Values{"client_id": {"tv"}, "scope": {"read"}, "resource": {meterAPI}}, nil)
	wantError(t, at, http.StatusBadRequest, CodeInvalidTarget)
	if d, _ := at.body["error_description"].(string); d == "" {
		t.Errorf("refusal %s says nothing about where resource goes", at.raw)
	}
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
