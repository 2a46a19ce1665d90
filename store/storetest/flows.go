package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// errAbort is what the Update* tests' callbacks fail with.
var errAbort = errors.New("callback says no")

func fullDevice(secret string) *keypad.DeviceAuthorization {
	return &keypad.DeviceAuthorization{
		DeviceCodeHash: h("kp_dc_" + secret),
		UserCodeHash:   h("BCDFGHJK" + secret),
		ClientID:       "thermo",
		Scopes:         []string{"device:abc:control"},
		Resources:      []string{"https://meter.example.com/", "https://api.example.com/v1"},
		Status:         keypad.DevicePending,
		Interval:       5 * time.Second,
		LastPolledAt:   t0.Add(5 * time.Second),
		CreatedAt:      t0,
		ExpiresAt:      t0.Add(10 * time.Minute),
	}
}

func testDevices(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t)
		want := fullDevice("1")
		must(t, s.CreateDeviceAuthorization(t.Context(), want))
		got, err := s.GetDeviceAuthorization(t.Context(), want.DeviceCodeHash)
		must(t, err)
		mustEqual(t, "device authorization", got, want)
		got, err = s.GetDeviceAuthorizationByUserCode(t.Context(), want.UserCodeHash)
		must(t, err)
		mustEqual(t, "device authorization by user code", got, want)
	})
	t.Run("ZeroValues", func(t *testing.T) {
		s := newStore(t)
		want := &keypad.DeviceAuthorization{DeviceCodeHash: h("dc"), UserCodeHash: h("uc")}
		must(t, s.CreateDeviceAuthorization(t.Context(), want))
		got, err := s.GetDeviceAuthorization(t.Context(), h("dc"))
		must(t, err)
		mustEqual(t, "device authorization", got, want)
	})
	t.Run("Resources", func(t *testing.T) {
		// The RFC 8707 resources of migration 3: kept in order, none
		// read back as none, and an update may change them.
		s := newStore(t)
		none := fullDevice("1")
		none.Resources = nil
		must(t, s.CreateDeviceAuthorization(t.Context(), none))
		got, err := s.GetDeviceAuthorization(t.Context(), none.DeviceCodeHash)
		must(t, err)
		mustEqual(t, "resources of an authorization without any", got.Resources, []string(nil))
		two := fullDevice("2")
		must(t, s.CreateDeviceAuthorization(t.Context(), two))
		got, err = s.GetDeviceAuthorizationByUserCode(t.Context(), two.UserCodeHash)
		must(t, err)
		mustEqual(t, "resources", got.Resources, fullDevice("2").Resources)
		_, err = s.UpdateDeviceAuthorization(t.Context(), none.DeviceCodeHash, func(d *keypad.DeviceAuthorization) error {
			d.Resources = []string{"https://meter.example.com/"}
			return nil
		})
		must(t, err)
		got, err = s.GetDeviceAuthorization(t.Context(), none.DeviceCodeHash)
		must(t, err)
		mustEqual(t, "resources after an update", got.Resources, []string{"https://meter.example.com/"})
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateDeviceAuthorization(t.Context(), fullDevice("1")))
		sameDevice := fullDevice("2")
		sameDevice.DeviceCodeHash = fullDevice("1").DeviceCodeHash
		mustBeErrConflict(t, s.CreateDeviceAuthorization(t.Context(), sameDevice))
		sameUser := fullDevice("3")
		sameUser.UserCodeHash = fullDevice("1").UserCodeHash
		mustBeErrConflict(t, s.CreateDeviceAuthorization(t.Context(), sameUser))
		_, err := s.GetDeviceAuthorization(t.Context(), sameUser.DeviceCodeHash)
		mustBeErrNotFound(t, err)
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.GetDeviceAuthorization(t.Context(), h("nope"))
		mustBeErrNotFound(t, err)
		_, err = s.GetDeviceAuthorizationByUserCode(t.Context(), h("nope"))
		mustBeErrNotFound(t, err)
		called := false
		_, err = s.UpdateDeviceAuthorization(t.Context(), h("nope"), func(*keypad.DeviceAuthorization) error {
			called = true
			return nil
		})
		mustBeErrNotFound(t, err)
		mustEqual(t, "callback called for a missing record", called, false)
	})
	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		d := fullDevice("1")
		must(t, s.CreateDeviceAuthorization(t.Context(), d))
		got, err := s.UpdateDeviceAuthorization(t.Context(), d.DeviceCodeHash, func(d *keypad.DeviceAuthorization) error {
			mustEqual(t, "record passed to the callback", d, fullDevice("1"))
			d.Status = keypad.DeviceApproved
			d.Subject = "alice"
			d.GrantID = "g1"
			d.Interval += 5 * time.Second
			d.LastPolledAt = t0.Add(time.Minute)
			return nil
		})
		must(t, err)
		want := fullDevice("1")
		want.Status, want.Subject, want.GrantID = keypad.DeviceApproved, "alice", "g1"
		want.Interval, want.LastPolledAt = 10*time.Second, t0.Add(time.Minute)
		mustEqual(t, "returned record", got, want)
		stored, err := s.GetDeviceAuthorization(t.Context(), d.DeviceCodeHash)
		must(t, err)
		mustEqual(t, "stored record", stored, want)
	})
	t.Run("UpdateAborts", func(t *testing.T) {
		s := newStore(t)
		d := fullDevice("1")
		must(t, s.CreateDeviceAuthorization(t.Context(), d))
		got, err := s.UpdateDeviceAuthorization(t.Context(), d.DeviceCodeHash, func(d *keypad.DeviceAuthorization) error {
			d.Status = keypad.DeviceDenied
			return errAbort
		})
		if err != errAbort {
			t.Fatalf("got error %v, want the callback's error unchanged", err)
		}
		if got != nil {
			t.Errorf("got record %+v with the callback's error, want nil", *got)
		}
		stored, err := s.GetDeviceAuthorization(t.Context(), d.DeviceCodeHash)
		must(t, err)
		mustEqual(t, "stored record", stored, fullDevice("1"))
	})
}

func fullSession(secret string) *keypad.Session {
	return &keypad.Session{
		Hash:       h("kp_ss_" + secret),
		Subject:    "alice",
		AuthTime:   t0,
		AMR:        []string{"otp"},
		Data:       map[string]string{"device_user_code": "BCDF-GHJK", "return_to": "/device"},
		CreatedAt:  t0,
		LastSeenAt: t0.Add(time.Minute),
		ExpiresAt:  t0.Add(time.Hour),
	}
}

func testSessions(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t)
		want := fullSession("1")
		must(t, s.CreateSession(t.Context(), want))
		got, err := s.GetSession(t.Context(), want.Hash, t0.Add(time.Minute))
		must(t, err)
		mustEqual(t, "session", got, want)
	})
	t.Run("ZeroValues", func(t *testing.T) {
		s := newStore(t)
		zero := &keypad.Session{Hash: h("zero")}
		must(t, s.CreateSession(t.Context(), zero))
		got, err := s.GetSession(t.Context(), h("zero"), t0)
		must(t, err)
		mustEqual(t, "session without expiry", got, zero)
		empty := &keypad.Session{Hash: h("empty"), AMR: []string{}, Data: map[string]string{}, ExpiresAt: t0.Add(time.Hour)}
		must(t, s.CreateSession(t.Context(), empty))
		got, err = s.GetSession(t.Context(), h("empty"), t0)
		must(t, err)
		mustEqual(t, "session with empty AMR and data", got, empty)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateSession(t.Context(), fullSession("1")))
		mustBeErrConflict(t, s.CreateSession(t.Context(), &keypad.Session{Hash: fullSession("1").Hash}))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.GetSession(t.Context(), h("nope"), t0)
		mustBeErrNotFound(t, err)
		_, err = s.UpdateSession(t.Context(), h("nope"), func(*keypad.Session) error { return nil })
		mustBeErrNotFound(t, err)
	})
	t.Run("Expired", func(t *testing.T) {
		s := newStore(t)
		ss := fullSession("1")
		must(t, s.CreateSession(t.Context(), ss))
		_, err := s.GetSession(t.Context(), ss.Hash, ss.ExpiresAt)
		mustBeErrNotFound(t, err)
	})
	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		ss := fullSession("1")
		must(t, s.CreateSession(t.Context(), ss))
		got, err := s.UpdateSession(t.Context(), ss.Hash, func(ss *keypad.Session) error {
			ss.Subject = "bob"
			ss.AMR = append(ss.AMR, "pwd")
			delete(ss.Data, "return_to")
			ss.LastSeenAt = t0.Add(2 * time.Minute)
			return nil
		})
		must(t, err)
		want := fullSession("1")
		want.Subject, want.AMR = "bob", []string{"otp", "pwd"}
		want.Data = map[string]string{"device_user_code": "BCDF-GHJK"}
		want.LastSeenAt = t0.Add(2 * time.Minute)
		mustEqual(t, "returned session", got, want)
		stored, err := s.GetSession(t.Context(), ss.Hash, t0)
		must(t, err)
		mustEqual(t, "stored session", stored, want)
	})
	t.Run("UpdateAborts", func(t *testing.T) {
		s := newStore(t)
		ss := fullSession("1")
		must(t, s.CreateSession(t.Context(), ss))
		_, err := s.UpdateSession(t.Context(), ss.Hash, func(ss *keypad.Session) error {
			ss.Subject = "mallory"
			return errAbort
		})
		mustBeErr(t, err, errAbort)
		stored, err := s.GetSession(t.Context(), ss.Hash, t0)
		must(t, err)
		mustEqual(t, "stored session", stored, fullSession("1"))
	})
	t.Run("Delete", func(t *testing.T) {
		s := newStore(t)
		ss := fullSession("1")
		must(t, s.CreateSession(t.Context(), ss))
		must(t, s.DeleteSession(t.Context(), ss.Hash))
		_, err := s.GetSession(t.Context(), ss.Hash, t0)
		mustBeErrNotFound(t, err)
		must(t, s.DeleteSession(t.Context(), ss.Hash))
	})
}

func fullAuthCode(secret string) *keypad.AuthCode {
	return &keypad.AuthCode{
		Hash:                h("kp_ac_" + secret),
		ClientID:            "webapp",
		Subject:             "alice",
		Scopes:              []string{"openid", "usage:read"},
		Audience:            []string{"https://api.example"},
		RedirectURI:         "https://app.example/cb",
		CodeChallenge:       "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
		CodeChallengeMethod: "S256",
		Nonce:               "n-0S6_WzA2Mj",
		AuthTime:            t0.Add(-time.Minute),
		AMR:                 []string{"pwd"},
		GrantID:             "g1",
		CreatedAt:           t0,
		ExpiresAt:           t0.Add(time.Minute),
	}
}

func testAuthCodes(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateAuthCode(t.Context(), fullAuthCode("1")))
		now := t0.Add(10 * time.Second)
		got, err := s.ConsumeAuthCode(t.Context(), fullAuthCode("1").Hash, now)
		must(t, err)
		want := fullAuthCode("1")
		want.UsedAt = now
		mustEqual(t, "consumed code", got, want)
	})
	t.Run("ZeroValues", func(t *testing.T) {
		s := newStore(t)
		want := &keypad.AuthCode{Hash: h("zero"), Scopes: []string{}}
		must(t, s.CreateAuthCode(t.Context(), want))
		got, err := s.ConsumeAuthCode(t.Context(), h("zero"), t0)
		must(t, err)
		want.UsedAt = t0
		mustEqual(t, "consumed code without expiry", got, want)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateAuthCode(t.Context(), fullAuthCode("1")))
		mustBeErrConflict(t, s.CreateAuthCode(t.Context(), &keypad.AuthCode{Hash: fullAuthCode("1").Hash}))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		got, err := s.ConsumeAuthCode(t.Context(), h("nope"), t0)
		mustBeErrNotFound(t, err)
		if got != nil {
			t.Errorf("got code %+v with ErrNotFound, want nil", *got)
		}
	})
	t.Run("ErrConsumed", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateAuthCode(t.Context(), fullAuthCode("1")))
		first := t0.Add(time.Second)
		_, err := s.ConsumeAuthCode(t.Context(), fullAuthCode("1").Hash, first)
		must(t, err)
		// A replay, even after expiry, is a replay: its grant must go.
		for _, at := range []time.Time{first.Add(time.Second), t0.Add(time.Hour)} {
			got, err := s.ConsumeAuthCode(t.Context(), fullAuthCode("1").Hash, at)
			mustBeErrConsumed(t, err)
			if got == nil {
				t.Fatal("ErrConsumed came without the code; its tokens must be revoked")
			}
			want := fullAuthCode("1")
			want.UsedAt = first
			mustEqual(t, "replayed code", got, want)
		}
	})
	t.Run("Get", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateAuthCode(t.Context(), fullAuthCode("1")))
		got, err := s.GetAuthCode(t.Context(), fullAuthCode("1").Hash)
		must(t, err)
		mustEqual(t, "unused code", got, fullAuthCode("1"))
		// Reading does not consume: the code is still there to take.
		used := t0.Add(time.Second)
		_, err = s.ConsumeAuthCode(t.Context(), fullAuthCode("1").Hash, used)
		must(t, err)
		got, err = s.GetAuthCode(t.Context(), fullAuthCode("1").Hash)
		must(t, err)
		want := fullAuthCode("1")
		want.UsedAt = used
		mustEqual(t, "used code", got, want)
		_, err = s.GetAuthCode(t.Context(), h("nope"))
		mustBeErrNotFound(t, err)
	})
	t.Run("ErrExpired", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateAuthCode(t.Context(), fullAuthCode("1")))
		got, err := s.ConsumeAuthCode(t.Context(), fullAuthCode("1").Hash, fullAuthCode("1").ExpiresAt)
		mustBeErrExpired(t, err)
		if got == nil {
			t.Fatal("ErrExpired came without the code")
		}
		mustEqual(t, "expired code", got, fullAuthCode("1"))
	})
}

func fullOTP(secret string) *keypad.OTPSession {
	return &keypad.OTPSession{
		Hash:     h("kp_os_" + secret),
		ClientID: "kiosk",
		Scopes:   []string{"usage:read"},
		Subject:  "alice",
		Channels: []keypad.OTPChannel{
			{ID: "c1", Type: "sms", Hint: "(•••) •••-4821", Destination: "+15555554821"},
			{ID: "c2", Type: "email", Hint: "a•••@example.com", Destination: "alice@example.com"},
		},
		Purpose:        "token",
		Language:       "es",
		UILanguage:     "en",
		CodeHash:       h("123456"),
		CodeExpiresAt:  t0.Add(10 * time.Minute),
		LastSentAt:     t0,
		Sends:          1,
		FailedAttempts: 2,
		Status:         keypad.OTPPending,
		CreatedAt:      t0,
		ExpiresAt:      t0.Add(10 * time.Minute),
	}
}

func testOTP(t *testing.T, newStore func(*testing.T) keypad.Store) {
	t.Run("OK", func(t *testing.T) {
		s := newStore(t)
		want := fullOTP("1")
		must(t, s.CreateOTPSession(t.Context(), want))
		got, err := s.GetOTPSession(t.Context(), want.Hash)
		must(t, err)
		mustEqual(t, "otp session", got, want)
	})
	t.Run("ZeroValues", func(t *testing.T) {
		s := newStore(t)
		decoy := &keypad.OTPSession{Hash: h("decoy"), Decoy: true, Channels: []keypad.OTPChannel{{ID: "c1", Type: "sms", Hint: "(•••) •••-0000"}}}
		must(t, s.CreateOTPSession(t.Context(), decoy))
		got, err := s.GetOTPSession(t.Context(), h("decoy"))
		must(t, err)
		mustEqual(t, "decoy otp session", got, decoy)
	})
	t.Run("ErrConflict", func(t *testing.T) {
		s := newStore(t)
		must(t, s.CreateOTPSession(t.Context(), fullOTP("1")))
		mustBeErrConflict(t, s.CreateOTPSession(t.Context(), &keypad.OTPSession{Hash: fullOTP("1").Hash}))
	})
	t.Run("ErrNotFound", func(t *testing.T) {
		s := newStore(t)
		_, err := s.GetOTPSession(t.Context(), h("nope"))
		mustBeErrNotFound(t, err)
		_, err = s.UpdateOTPSession(t.Context(), h("nope"), func(*keypad.OTPSession) error { return nil })
		mustBeErrNotFound(t, err)
	})
	t.Run("Update", func(t *testing.T) {
		s := newStore(t)
		o := fullOTP("1")
		must(t, s.CreateOTPSession(t.Context(), o))
		got, err := s.UpdateOTPSession(t.Context(), o.Hash, func(o *keypad.OTPSession) error {
			o.CodeHash = h("654321")
			o.CodeExpiresAt = t0.Add(11 * time.Minute)
			o.LastSentAt = t0.Add(time.Minute)
			o.Sends++
			o.FailedAttempts = 0
			o.UILanguage = "es-MX"
			return nil
		})
		must(t, err)
		want := fullOTP("1")
		want.UILanguage = "es-MX"
		want.CodeHash, want.CodeExpiresAt, want.LastSentAt = h("654321"), t0.Add(11*time.Minute), t0.Add(time.Minute)
		want.Sends, want.FailedAttempts = 2, 0
		mustEqual(t, "returned session", got, want)
		stored, err := s.GetOTPSession(t.Context(), o.Hash)
		must(t, err)
		mustEqual(t, "stored session", stored, want)
	})
	t.Run("UpdateAborts", func(t *testing.T) {
		s := newStore(t)
		o := fullOTP("1")
		must(t, s.CreateOTPSession(t.Context(), o))
		_, err := s.UpdateOTPSession(t.Context(), o.Hash, func(o *keypad.OTPSession) error {
			o.Status = keypad.OTPConsumed
			return keypad.ErrConsumed
		})
		mustBeErrConsumed(t, err)
		stored, err := s.GetOTPSession(t.Context(), o.Hash)
		must(t, err)
		mustEqual(t, "stored session", stored, fullOTP("1"))
	})
}
