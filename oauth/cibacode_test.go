package oauth

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// A client registered with RequireBindingCode: the person types the code
// the client shows; the text and the page never carry it; a missing code
// changes nothing; a wrong one denies the request.
func TestCIBARequireBindingCode(t *testing.T) {
	e := newCIBAEnv(t, OTPConfig{}, func(c *keypad.Client) { c.Options.CIBA.RequireBindingCode = true })

	t.Run("ErrBindingMessage", func(t *testing.T) {
		for _, bm := range []string{"", "hello", "123", "123456789", "48 21"} {
			form := url.Values{"login_hint": {"100-200-300"}}
			if bm != "" {
				form.Set("binding_message", bm)
			}
			wantError(t, e.authorize(form), http.StatusBadRequest, CodeInvalidBindingMessage)
		}
	})

	t.Run("OK", func(t *testing.T) {
		id := e.mustAuthorize(url.Values{"login_hint": {"100-200-300"}, "binding_message": {"583104"}})
		if body := e.twilio.Last(t).Get("Body"); strings.Contains(body, "583104") {
			t.Errorf("the text %q carries the code the person must read off the client", body)
		}
		link := e.link()
		v, err := e.srv.CIBARequest(t.Context(), link)
		if err != nil || !v.RequireBindingCode || v.BindingMessage != "" {
			t.Fatalf("view = %+v, %v; want the code required and not shown", v, err)
		}
		if err := e.srv.CIBADecide(t.Context(), link, true, "", "", ""); !errors.Is(err, ErrCIBABindingCodeMissing) {
			t.Errorf("approve without the code: %v, want ErrCIBABindingCodeMissing", err)
		}
		wantError(t, e.poll(id), http.StatusBadRequest, CodeAuthorizationPending)
		if err := e.srv.CIBADecide(t.Context(), link, true, " 583 104 ", "", "192.0.2.1"); err != nil {
			t.Fatalf("approve with the code (typed with spaces): %v", err)
		}
		e.clk.Advance(5 * time.Second)
		if r := e.poll(id); r.status != http.StatusOK || r.body["access_token"] == nil {
			t.Fatalf("tokens: %d %s", r.status, r.raw)
		}
	})

	t.Run("ErrWrongCodeDenies", func(t *testing.T) {
		e.clk.Advance(time.Minute) // past the OTP flow's resend wait for Heather
		id := e.mustAuthorize(url.Values{"login_hint": {"100-200-300"}, "binding_message": {"7391"}})
		link := e.link()
		if err := e.srv.CIBADecide(t.Context(), link, true, "7392", "", ""); !errors.Is(err, ErrCIBABindingCodeWrong) {
			t.Fatalf("approve with a wrong code: %v, want ErrCIBABindingCodeWrong", err)
		}
		// One try: the right code no longer helps.
		if err := e.srv.CIBADecide(t.Context(), link, true, "7391", "", ""); !errors.Is(err, ErrCIBANotPending) {
			t.Errorf("approve after a wrong code: %v, want ErrCIBANotPending", err)
		}
		wantError(t, e.poll(id), http.StatusBadRequest, CodeAccessDenied)
		if grants, _ := e.st.ListGrants(t.Context(), "sub-heather", ""); len(grants) != 1 {
			t.Errorf("grants %v: want only the first subtest's", grants)
		}
	})

	t.Run("OKDenyNeedsNoCode", func(t *testing.T) {
		e.clk.Advance(time.Minute)
		id := e.mustAuthorize(url.Values{"login_hint": {"100-200-300"}, "binding_message": {"2468"}})
		if err := e.srv.CIBADecide(t.Context(), e.link(), false, "", "", ""); err != nil {
			t.Fatalf("deny without a code: %v", err)
		}
		wantError(t, e.poll(id), http.StatusBadRequest, CodeAccessDenied)
	})
}
