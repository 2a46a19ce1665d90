package oauth

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
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
		if n := liveGrants(t, e); n != 1 {
			t.Errorf("%d live grants: want only the first subtest's (a wrong code's grant is revoked)", n)
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

// Racing tries at the code get one comparison per request: exactly one
// try decides (approves if it was the right code, denies if not), every
// other one finds the request answered.
func TestCIBABindingCodeRace(t *testing.T) {
	e := newCIBAEnv(t, OTPConfig{}, func(c *keypad.Client) { c.Options.CIBA.RequireBindingCode = true })
	id := e.mustAuthorize(url.Values{"login_hint": {"100-200-300"}, "binding_message": {"583104"}})
	link := e.link()
	const racers = 10
	errs := make([]error, racers)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range racers {
		wg.Go(func() {
			<-start
			errs[i] = e.srv.CIBADecide(t.Context(), link, true, fmt.Sprintf("58310%d", i), "", "")
		})
	}
	close(start)
	wg.Wait()
	approved, denied := 0, 0
	for i, err := range errs {
		switch {
		case err == nil:
			approved++
		case errors.Is(err, ErrCIBABindingCodeWrong):
			denied++
		case !errors.Is(err, ErrCIBANotPending):
			t.Errorf("racer %d: %v", i, err)
		}
	}
	if approved+denied != 1 {
		t.Fatalf("%d tries approved and %d denied, want exactly one decision", approved, denied)
	}
	e.clk.Advance(5 * time.Second)
	r := e.poll(id)
	if approved == 1 {
		if r.status != http.StatusOK {
			t.Errorf("after the right code won: %d %s, want tokens", r.status, r.raw)
		}
	} else {
		wantError(t, r, http.StatusBadRequest, CodeAccessDenied)
	}
	if live := liveGrants(t, e); live != approved {
		t.Errorf("%d live grants, want %d: the losers' grants must be revoked", live, approved)
	}
}

// liveGrants counts Heather's grants that are not revoked.
func liveGrants(t *testing.T, e *cibaEnv) int {
	t.Helper()
	grants, err := e.st.ListGrants(t.Context(), "sub-heather", "")
	if err != nil {
		t.Fatal(err)
	}
	live := 0
	for _, g := range grants {
		if g.RevokedAt.IsZero() {
			live++
		}
	}
	return live
}
