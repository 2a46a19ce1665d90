package server

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/i18n"
	"github.com/keypadauth/keypad/notify"
	"github.com/keypadauth/keypad/oauth"
	"github.com/keypadauth/keypad/ratelimit"
	"github.com/keypadauth/keypad/token"
	"github.com/keypadauth/keypad/web"
)

// WebConfig is the hosted pages' configuration under cfg. Its user-code
// format is the device flow's (config.DeviceFlow), so typed codes
// normalise to what the device endpoint handed out.
func WebConfig(cfg config.Config, issuer string) web.Config {
	return web.Config{
		Issuer:         issuer,
		SiteName:       cfg.Web.SiteName,
		SessionTTL:     cfg.Web.SessionTTL,
		UserCode:       cfg.Device.UserCode(),
		ClientIPHeader: cfg.Web.ClientIPHeader,
		TrustedOrigins: cfg.Web.TrustedOrigins,
		TimeLocation:   cfg.TimeLocation,
	}
}

// buildOAuth builds the OAuth server and the hosted pages from the
// configuration, in one place: the device flow, the authorization code
// flow with refresh tokens and userinfo, the password and JWT bearer
// grants (for the clients an admin registers with them), and the OTP flow
// when a channel can deliver its codes. The two are tied here: the pages
// are oauth's sign-in UI (oauth.Deps.Pages builds them with the server
// being built) and use that server as their Authorizer and CodeSignIn.
func (s *Server) buildOAuth(tokens *token.Issuer, sealer *token.Sealer, rnd io.Reader) (*oauth.Server, *web.Handler, error) {
	cfg := s.cfg
	// Device user codes are stored as an HMAC under this key; the device
	// endpoint and the code-entry page must share it.
	userCodeKey := sealer.DeriveKey("device-user-code")
	langs, err := i18n.Load(cfg.DefaultLanguage, cfg.LanguagesDir)
	if err != nil {
		return nil, nil, fmt.Errorf("languages (default_language, languages_dir): %w", err)
	}
	for _, p := range langs.Check() {
		s.log.Warn("languages_dir: a catalogue is incomplete; the default language fills in", "problem", p)
	}
	dcfg := cfg.DeviceFlow(s.issuer)
	dcfg.UserCodeKey = userCodeKey
	// One limiter serves the pages' code entry and sign-in and the
	// password grant, so failures on either count together.
	limiter, err := ratelimit.New(s.store, ratelimit.DefaultConfig(), s.now)
	if err != nil {
		return nil, nil, err
	}
	ocfg := oauth.Config{
		Issuer: s.issuer, AccessTTL: cfg.AccessTTL, RefreshTTL: cfg.RefreshTTL,
		ClientCacheTTL:    cfg.ClientCacheTTL,
		ClientJWKS:        oauth.JWKSFetchConfig{AllowPrivate: cfg.ClientJWKSAllowPrivate},
		Device:            &dcfg,
		AuthorizationCode: &oauth.AuthCodeConfig{},
		Password:          &oauth.PasswordConfig{ClientIPHeader: cfg.Web.ClientIPHeader},
		// Only clients registered for it, with a partner's keys, can use it.
		JWTBearer: &oauth.JWTBearerConfig{},
		// Only clients registered for it, naming trusted IdPs, can use it.
		SAML2Bearer: &oauth.SAML2BearerConfig{Skew: cfg.SAMLClockSkew, AllowSHA1: cfg.SAMLAllowSHA1},
		// Device and OTP clients renew with refresh tokens too.
		Refresh: true,
		// Every instance derives the same nonce key, so a nonce one gave
		// out works at the others.
		DPoP: oauth.DPoPConfig{RequireNonce: cfg.DPoPNonce, NonceKey: sealer.DeriveKey("dpop-nonce")},
	}
	var pages *web.Handler
	deps := oauth.Deps{
		Store: s.store, Issuer: tokens, Logger: s.log, Metrics: s.metrics, Now: s.now, Rand: rnd,
		Limiter: limiter,
		Pages: func(srv *oauth.Server) (oauth.Interaction, error) {
			var err error
			pages, err = web.New(WebConfig(cfg, s.issuer), web.Deps{
				Store: s.store, Logger: s.log, Metrics: s.metrics, Limiter: limiter,
				Now: s.now, Rand: rnd, Authorizer: srv, CodeSignIn: srv, Flows: srv.Actions(), CIBA: srv,
				UserCodeKey: userCodeKey,
				// Every instance must accept the device cookies the others set.
				DeviceKey: sealer.DeriveKey("login-device"),
				Languages: langs,
			})
			if err != nil {
				return nil, fmt.Errorf("hosted pages (web.*): %w", err)
			}
			return pages, nil
		},
	}

	if cfg.Dev {
		s.log.Warn("development mode is on: one-time codes sent to the dev outbox are kept in clear and shown at /dev/outbox; never run --dev in production",
			"outbox", s.issuer+pathDevOutbox)
	}
	if cfg.OTPEnabled() {
		router, err := s.otpRouter(rnd)
		if err != nil {
			return nil, nil, err
		}
		// Texts and emails: the operator's templates over the built-in
		// languages, in default_language and time_zone.
		tmpl, err := notify.NewTemplates(notify.TemplateConfig{
			Dir: cfg.OTP.TemplatesDir, DefaultLanguage: cfg.DefaultLanguage, Location: cfg.TimeLocation,
		})
		if err != nil {
			return nil, nil, fmt.Errorf("otp.templates_dir, default_language: %w", err)
		}
		otp := cfg.OTPFlow()
		ocfg.OTP = &otp
		deps.OTP = oauth.OTPDeps{Router: router, Templates: tmpl, Key: sealer.DeriveKey("otp"), Sealer: sealer}
		// CIBA reaches people through the OTP flow: on with it unless
		// ciba.enabled is false (docs/ciba.md).
		if cfg.CIBAEnabled() {
			ciba := cfg.CIBAFlow()
			ocfg.CIBA = &ciba
		}
	}
	reg, err := cfg.RegistrationFlow()
	if err != nil {
		return nil, nil, err
	}
	ocfg.Registration = &reg
	srv, err := oauth.New(ocfg, deps)
	if err != nil {
		return nil, nil, flowError(err)
	}
	if cfg.OTPEnabled() {
		s.log.Info("OTP flow enabled", "sms", cfg.SMSChannel(), "email", cfg.EmailChannel(), "ciba", cfg.CIBAEnabled())
	} else {
		s.log.Info("OTP flow off: no delivery channel configured; set otp.channels.sms or otp.channels.email (see docs/configuration.md), or try it with --dev")
	}
	return srv, pages, nil
}

// flowError names the settings a flow's error is about, as start-up
// errors always have.
func flowError(err error) error {
	var fe *oauth.FlowError
	if !errors.As(err, &fe) {
		return fmt.Errorf("set up the OAuth endpoints: %w", err)
	}
	switch fe.Flow {
	case "Device":
		return fmt.Errorf("device flow (device.*): %w", err)
	case "OTP":
		return fmt.Errorf("OTP flow (otp.*): %w", err)
	case "CIBA":
		return fmt.Errorf("CIBA (on with the OTP flow, otp.*): %w", err)
	case "Registration":
		return fmt.Errorf("dynamic client registration (registration.*): %w", err)
	}
	return err
}

// otpRouter builds the senders the configuration chose for each channel.
func (s *Server) otpRouter(rnd io.Reader) (*notify.Router, error) {
	cfg := s.cfg
	r := &notify.Router{Metrics: s.metrics}
	var hook notify.Sender // one webhook sender serves both channels
	webhook := func() (notify.Sender, error) {
		if hook != nil {
			return hook, nil
		}
		secret, err := config.ReadSecret("webhook.secret", cfg.Webhook.Secret, cfg.Webhook.SecretFile)
		if err != nil {
			return nil, err
		}
		w, err := notify.NewWebhookSender(notify.WebhookConfig{URL: cfg.Webhook.URL, Secret: string(secret), Timeout: cfg.Webhook.Timeout})
		if err != nil {
			return nil, fmt.Errorf("webhook.*: %w", err)
		}
		w.Now, w.Rand = s.now, rnd
		hook = w
		return hook, nil
	}
	outbox := &notify.Outbox{Store: s.store, Now: s.now}

	var err error
	switch cfg.SMSChannel() {
	case config.ChannelTwilio:
		r.SMS, err = s.twilioSender()
	case config.ChannelWebhook:
		r.SMS, err = webhook()
	case config.ChannelOutbox:
		r.SMS = outbox
	}
	if err != nil {
		return nil, err
	}
	switch cfg.EmailChannel() {
	case config.ChannelSMTP:
		r.Email, err = s.smtpSender(rnd)
	case config.ChannelWebhook:
		r.Email, err = webhook()
	case config.ChannelOutbox:
		r.Email = outbox
	}
	if err != nil {
		return nil, err
	}
	return r, nil
}

func (s *Server) twilioSender() (notify.Sender, error) {
	t := s.cfg.Twilio
	tok, err := config.ReadSecret("twilio.auth_token", t.AuthToken, t.AuthTokenFile)
	if err != nil {
		return nil, err
	}
	sender, err := notify.NewTwilioSender(notify.TwilioConfig{AccountSID: t.AccountSID, AuthToken: string(tok), From: t.From, BaseURL: t.BaseURL})
	if err != nil {
		return nil, fmt.Errorf("twilio.*: %w", err)
	}
	return sender, nil
}

func (s *Server) smtpSender(rnd io.Reader) (notify.Sender, error) {
	m := s.cfg.SMTP
	pw, err := config.ReadSecret("smtp.password", m.Password, m.PasswordFile)
	if err != nil {
		return nil, err
	}
	sc := notify.SMTPConfig{
		Host: m.Host, Port: m.Port, Username: m.Username, Password: string(pw),
		From: m.From, TLS: m.TLS, Timeout: m.Timeout,
	}
	if m.CAFile != "" {
		pem, err := os.ReadFile(m.CAFile)
		if err != nil {
			return nil, fmt.Errorf("smtp.ca_file: %w", err)
		}
		roots := x509.NewCertPool()
		if !roots.AppendCertsFromPEM(pem) {
			return nil, fmt.Errorf("smtp.ca_file: %s holds no PEM certificate", m.CAFile)
		}
		sc.TLSConfig = &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12}
	}
	sender, err := notify.NewSMTPSender(sc)
	if err != nil {
		return nil, fmt.Errorf("smtp.*: %w", err)
	}
	sender.Now, sender.Rand = s.now, rnd
	return sender, nil
}
