package kiosk

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"
)

// "Approve on my phone": the same visit through OpenID Connect CIBA
// instead of a typed code. The kiosk asks keypad's backchannel endpoint
// for the person it looked up, with a 4-digit binding message it shows;
// keypad texts or emails the person a link; the screen polls (a plain
// meta refresh, no script) until the person approves or denies on their
// phone.

// cibaGrant is the CIBA grant type (CIBA Core §10.1).
const cibaGrant = "urn:openid:params:grant-type:ciba"

type backchannelAnswer struct {
	AuthReqID string `json:"auth_req_id"`
	ExpiresIn int    `json:"expires_in"`
	Interval  int    `json:"interval"`
}

func (k *keypadClient) backchannel(ctx context.Context, loginHint, scope, binding, lang string) (*backchannelAnswer, error) {
	var a backchannelAnswer
	form := url.Values{"login_hint": {loginHint}, "scope": {"openid " + scope}, "binding_message": {binding}, "ui_locales": {lang}}
	if err := k.post(ctx, "/oauth2/bc-authorize", form, &a); err != nil {
		return nil, err
	}
	if a.AuthReqID == "" {
		return nil, &oauthError{Status: 200, Code: "server_error", Description: "bc-authorize answer without auth_req_id", AttemptsRemaining: -1}
	}
	return &a, nil
}

func (k *keypadClient) cibaToken(ctx context.Context, authReqID string) (*tokenAnswer, error) {
	var a tokenAnswer
	if err := k.post(ctx, "/oauth2/token", url.Values{"grant_type": {cibaGrant}, "auth_req_id": {authReqID}}, &a); err != nil {
		return nil, err
	}
	if a.AccessToken == "" {
		return nil, &oauthError{Status: 200, Code: "server_error", Description: "token answer without access_token", AttemptsRemaining: -1}
	}
	return &a, nil
}

// bindingNumber draws the 4 digits the kiosk and the message both show.
func bindingNumber(r io.Reader) (string, error) {
	var b [2]byte
	if _, err := io.ReadFull(r, b[:]); err != nil {
		return "", err
	}
	return fmt.Sprintf("%04d", (int(b[0])<<8|int(b[1]))%10000), nil
}

// startApproval is POST /approve: ask keypad to reach the person.
func (k *kiosk) startApproval(w http.ResponseWriter, r *http.Request) {
	v := k.visit(w, r, haveSession)
	if v == nil {
		return
	}
	defer v.mu.Unlock()
	binding, err := bindingNumber(k.cfg.Rand)
	if err != nil {
		k.problem(w, r, http.StatusInternalServerError, "Something went wrong on our side", "Please start over.", "")
		return
	}
	a, err := k.keypad.backchannel(r.Context(), v.identifier, k.cfg.Scope, binding, k.lang(r))
	var oe *oauthError
	switch {
	case err == nil:
		now := k.cfg.Now()
		v.authReqID, v.binding = a.AuthReqID, binding
		v.interval = max(time.Duration(a.Interval)*time.Second, time.Second)
		v.pollAt = now.Add(v.interval)
		v.approvalEnds = now.Add(time.Duration(a.ExpiresIn) * time.Second)
		http.Redirect(w, r, "/approve", http.StatusSeeOther)
	case errors.As(err, &oe) && oe.Status == http.StatusTooManyRequests:
		k.render(w, r, http.StatusOK, "channel", view{Channels: v.channels,
			Notice: "We can't send more messages that way right now. Please choose a code instead, or try again later."})
	case errors.As(err, &oe) && (oe.Code == "invalid_client" || oe.Code == "unauthorized_client" || oe.Code == "invalid_scope"):
		k.peerProblem(w, r, err, "")
	case errors.As(err, &oe):
		k.log.Warn("kiosk: approval not started", "err", err)
		k.render(w, r, http.StatusOK, "channel", view{Channels: v.channels,
			Notice: "We couldn't send an approval request. Please choose a code instead."})
	default:
		k.peerProblem(w, r, err, "/channel")
	}
}

// waitApproval is GET /approve: shows the binding number and asks keypad,
// at most once per interval, whether the person has answered. The page
// reloads itself every few seconds.
func (k *kiosk) waitApproval(w http.ResponseWriter, r *http.Request) {
	v := k.visit(w, r, haveApproval)
	if v == nil {
		return
	}
	defer v.mu.Unlock()
	now := k.cfg.Now()
	if !now.Before(v.pollAt) {
		a, err := k.keypad.cibaToken(r.Context(), v.authReqID)
		v.pollAt = now.Add(v.interval)
		var oe *oauthError
		switch {
		case err == nil:
			v.accessToken, v.authReqID, v.otpSession, v.channels, v.channel = a.AccessToken, "", "", nil, nil
			http.Redirect(w, r, "/audit", http.StatusSeeOther)
			return
		case errors.As(err, &oe) && oe.Code == "authorization_pending":
		case errors.As(err, &oe) && oe.Code == "slow_down":
			v.interval += 5 * time.Second
			v.pollAt = now.Add(v.interval)
		case errors.As(err, &oe) && oe.Code == "access_denied":
			k.visits.forget(w, r)
			k.problem(w, r, http.StatusOK, "You said no on your phone",
				"Nothing was shared. If that was a mistake, please start over.", "")
			return
		case errors.As(err, &oe) && (oe.Code == "expired_token" || oe.Code == "invalid_grant"):
			k.visits.forget(w, r)
			k.problem(w, r, http.StatusOK, "The request on your phone has expired",
				"Requests only work for a few minutes. Please start over.", "")
			return
		default:
			k.peerProblem(w, r, err, "/approve")
			return
		}
	}
	k.render(w, r, http.StatusOK, "approve", view{Binding: v.binding, Refresh: int(v.interval / time.Second),
		CodeMinutes: int(max(v.approvalEnds.Sub(now), 0) / time.Minute)})
}
