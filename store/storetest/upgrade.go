package storetest

import (
	"context"
	"database/sql"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
)

// Upgrader is a store whose schema can be built up to an earlier release's
// version, to hold that release's data: *sqlstore.Store.
type Upgrader interface {
	keypad.Store
	Migrator
	// MigrateTo migrates up to version and no further.
	MigrateTo(ctx context.Context, version int) error
}

// fixtureVersion is the oldest schema the upgrade fixture is written for:
// its rows use the tables and columns of schema version 2 only, as a
// database of that release holds them. A later migration must keep them
// readable (expand/contract, docs/deployment.md#upgrades): new columns
// get defaults, nothing is renamed or dropped in the same release.
const fixtureVersion = 2

// RunUpgradeTests proves that migrating a database full of an earlier
// release's data loses nothing and that the data still works through the
// Store: for every version from fixtureVersion to the latest but one, it
// migrates an empty database to that version, writes the fixture rows
// with that release's columns (raw SQL, not today's Store), migrates to
// the latest version and reads and uses every row. newDB is as for
// RunSchemaTests.
func RunUpgradeTests(t *testing.T, newDB func(t *testing.T) (open func() Upgrader)) {
	latest, err := newDB(t)().LatestVersion()
	must(t, err)
	if latest <= fixtureVersion {
		t.Fatalf("latest schema version %d: the upgrade fixture is for version %d, so there is nothing to upgrade", latest, fixtureVersion)
	}
	for from := fixtureVersion; from < latest; from++ {
		t.Run(fmt.Sprintf("FromVersion%d", from), func(t *testing.T) {
			s := newDB(t)()
			ctx := t.Context()
			must(t, s.MigrateTo(ctx, from))
			v, err := s.SchemaVersion(ctx)
			must(t, err)
			mustEqual(t, "version before the upgrade", v, from)
			writeFixture(t, s.DB())
			must(t, s.Migrate(ctx))
			must(t, s.CheckSchema(ctx))
			checkFixture(t, s)
		})
	}
}

// Fixture values, as the earlier release wrote them.
var (
	fxNow          = t0
	fxLater        = t0.Add(10 * time.Minute)
	fxClientSecret = "kp_cs_upgrade-fixture-client"
	fxRefresh      = "kp_rt_upgrade-fixture-refresh"
	fxAccess       = "kp_at_upgrade-fixture-access"
	fxDeviceCode   = "kp_dc_upgrade-fixture-device"
	fxUserCode     = "WDJBMJHT"
	fxAuthCode     = "upgrade-fixture-auth-code"
	fxOTPSession   = "upgrade-fixture-otp-session"
	fxOTPCode      = "482193"
	fxSession      = "upgrade-fixture-browser-session"
)

func us(t time.Time) int64 { return t.UnixMicro() }

// writeFixture inserts one of each thing a schema-version-2 database
// holds, with that version's columns.
func writeFixture(t *testing.T, db *sql.DB) {
	t.Helper()
	ctx := t.Context()
	exec := func(q string, args ...any) {
		t.Helper()
		if _, err := db.ExecContext(ctx, q, args...); err != nil {
			t.Fatalf("fixture %q: %v", q, err)
		}
	}
	exec(`INSERT INTO clients (id, name, description, secret_hash, is_public, grant_types, scopes,
		redirect_uris, token_format, access_ttl, refresh_ttl, options, created_at, updated_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14)`,
		"fx-tv", "Upgrade TV", "made by release N-1", h(fxClientSecret), false,
		`["urn:ietf:params:oauth:grant-type:device_code","refresh_token","authorization_code"]`,
		`["read","write"]`, `["https://app.example/cb"]`, "opaque",
		int64(time.Hour), int64(30*24*time.Hour), `{}`, us(fxNow), us(fxNow))
	exec(`INSERT INTO scopes (name, description) VALUES ($1, $2)`, "read", "Read your usage")
	exec(`INSERT INTO subjects (id, external_id, username, password_hash, name, email, phone,
		identifiers, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)`,
		"sub-heather", "100200300", "heather", "", "Heather Homeowner", "h@example.com", "+15555550100",
		`[{"Type":"phone","Value":"+15555550100"},{"Type":"account","Value":"100200300"}]`, us(fxNow), nil)
	exec(`INSERT INTO subject_identifiers (type, value, subject_id) VALUES ($1, $2, $3), ($4, $5, $3)`,
		"phone", "+15555550100", "sub-heather", "account", "100200300")
	exec(`INSERT INTO grants (id, subject, client_id, scopes, device_name, flow, created_at, last_used_at, revoked_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
		"gr_fixture", "sub-heather", "fx-tv", `["read"]`, "Living room TV",
		"urn:ietf:params:oauth:grant-type:device_code", us(fxNow), nil, nil)
	for _, tok := range []struct {
		secret, kind string
		expires      any
	}{{fxRefresh, "refresh", nil}, {fxAccess, "access", us(fxLater)}} {
		exec(`INSERT INTO tokens (hash, kind, client_id, subject, scopes, audience, grant_id, family_id,
			issued_at, expires_at, used_at, revoked_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)`,
			h(tok.secret), tok.kind, "fx-tv", "sub-heather", `["read"]`, `["https://api.example"]`,
			"gr_fixture", "fam_fixture", us(fxNow), tok.expires, nil, nil)
	}
	exec(`INSERT INTO revoked_jtis (jti, expires_at) VALUES ($1, $2)`, "jti-fixture", us(fxLater))
	exec(`INSERT INTO signing_keys (id, algorithm, private_sealed, public_key, created_at, retired_at)
		VALUES ($1, $2, $3, $4, $5, $6)`, "kid-fixture", "ES256", []byte("sealed"), []byte("public"), us(fxNow), nil)
	exec(`INSERT INTO counters (name, hits, window_end) VALUES ($1, $2, $3)`, "otp:dest:+15555550100", 2, us(fxLater))
	exec(`INSERT INTO audit_events (at, type, client_id, subject, ip, detail) VALUES ($1, $2, $3, $4, $5, $6)`,
		us(fxNow), "grant.created", "fx-tv", "sub-heather", "192.0.2.1", "fixture")
	exec(`INSERT INTO device_authorizations (device_code_hash, user_code_hash, client_id, scopes, status,
		subject, grant_id, poll_interval, last_polled_at, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)`,
		h(fxDeviceCode), h(fxUserCode), "fx-tv", `["read"]`, "pending", "", "",
		int64(5*time.Second), nil, us(fxNow), us(fxLater))
	exec(`INSERT INTO sessions (hash, subject, auth_time, amr, data, created_at, last_seen_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
		h(fxSession), "sub-heather", us(fxNow), `["pwd"]`, `{}`, us(fxNow), us(fxNow), us(fxLater))
	exec(`INSERT INTO auth_codes (hash, client_id, subject, scopes, audience, redirect_uri, code_challenge,
		code_challenge_method, nonce, auth_time, amr, grant_id, created_at, expires_at, used_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		h(fxAuthCode), "fx-tv", "sub-heather", `["read"]`, `null`, "https://app.example/cb",
		"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM", "S256", "n-0S6", us(fxNow), `["pwd"]`,
		"gr_fixture", us(fxNow), us(fxLater), nil)
	exec(`INSERT INTO otp_sessions (hash, client_id, scopes, subject, decoy, channels, purpose, code_hash,
		code_expires_at, last_sent_at, sends, failed_attempts, status, created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15)`,
		h(fxOTPSession), "fx-tv", `["read"]`, "sub-heather", false,
		`[{"id":"c1","type":"sms","hint":"(•••) •••-0100","destination":"+15555550100"}]`,
		"token", h(fxOTPCode), us(fxLater), us(fxNow), 1, 0, "pending", us(fxNow), us(fxLater))
	exec(`INSERT INTO otp_sends (session_hash, channel, sealed, client_id, subject, charges, charged_at,
		status, attempts, last_error, created_at, due_at, give_up_at, claimed_by, claimed_until, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16)`,
		h(fxOTPSession), "sms", []byte("sealed message"), "fx-tv", "sub-heather",
		`["otp:dest:+15555550100"]`, us(fxNow), "queued", 0, "", us(fxNow), us(fxNow), us(fxLater), "", nil, us(fxLater))
	exec(`INSERT INTO outbox_messages (at, channel, recipient, subject, body) VALUES ($1, $2, $3, $4, $5)`,
		us(fxNow), "sms", "+15555550100", "", "482193 is your code")
}

// checkFixture reads every fixture row back through the Store and uses the
// single-use ones once, as the new release would.
func checkFixture(t *testing.T, s keypad.Store) {
	t.Helper()
	ctx := t.Context()

	c, err := s.GetClient(ctx, "fx-tv")
	must(t, err)
	if !keypad.SecretMatches(c.SecretHash, fxClientSecret) {
		t.Error("the client's secret no longer matches after the upgrade")
	}
	mustEqual(t, "client scopes", c.Scopes, []string{"read", "write"})
	mustEqual(t, "client token format", c.TokenFormat, keypad.TokenFormat("opaque"))
	mustEqual(t, "client refresh TTL", c.RefreshTTL, 30*24*time.Hour)
	sc, err := s.GetScope(ctx, "read")
	must(t, err)
	mustEqual(t, "scope description", sc.Description, "Read your usage")
	// Rows from before descriptions per language have none.
	mustEqual(t, "scope descriptions", len(sc.Descriptions), 0)
	mustEqual(t, "client descriptions", len(c.Descriptions), 0)

	found, err := s.FindSubjects(ctx, keypad.Identifier{Type: keypad.IdentifierPhone, Value: "+15555550100"})
	must(t, err)
	if len(found) != 1 || found[0].ID != "sub-heather" || found[0].ExternalID != "100200300" {
		t.Fatalf("FindSubjects by phone after the upgrade = %+v, want sub-heather", found)
	}
	byName, err := s.GetSubjectByUsername(ctx, "heather")
	must(t, err)
	mustEqual(t, "subject identifiers", byName.Identifiers, []keypad.Identifier{
		{Type: keypad.IdentifierPhone, Value: "+15555550100"}, {Type: keypad.IdentifierAccount, Value: "100200300"}})

	g, err := s.GetGrant(ctx, "gr_fixture")
	must(t, err)
	mustEqual(t, "grant device name", g.DeviceName, "Living room TV")
	if !g.RevokedAt.IsZero() {
		t.Error("the grant came out of the upgrade revoked")
	}

	at, err := s.GetToken(ctx, h(fxAccess))
	must(t, err)
	if !at.Active(fxNow) || at.Kind != keypad.KindAccess || !reflect.DeepEqual(at.Audience, []string{"https://api.example"}) {
		t.Errorf("access token after the upgrade = %+v, want active with its audience", at)
	}
	rt, err := s.ConsumeToken(ctx, h(fxRefresh), fxNow)
	must(t, err)
	mustEqual(t, "refresh token family", rt.FamilyID, "fam_fixture")
	_, err = s.ConsumeToken(ctx, h(fxRefresh), fxNow)
	mustBeErr(t, err, keypad.ErrConsumed)
	revoked, err := s.JTIRevoked(ctx, "jti-fixture")
	must(t, err)
	if !revoked {
		t.Error("a JWT revoked before the upgrade is not revoked after it")
	}

	keys, err := s.ListKeys(ctx)
	must(t, err)
	if len(keys) != 1 || keys[0].ID != "kid-fixture" || string(keys[0].PrivateSealed) != "sealed" {
		t.Errorf("signing keys after the upgrade = %+v, want kid-fixture", keys)
	}
	hits, err := s.Count(ctx, "otp:dest:+15555550100", fxNow)
	must(t, err)
	mustEqual(t, "daily-cap counter", hits, int64(2))
	events, err := s.ListAuditEvents(ctx, 10)
	must(t, err)
	if len(events) != 1 || events[0].Type != "grant.created" {
		t.Errorf("audit events after the upgrade = %+v, want the one grant.created", events)
	}

	// The pending device authorization can still be approved and collected.
	d, err := s.GetDeviceAuthorizationByUserCode(ctx, h(fxUserCode))
	must(t, err)
	mustEqual(t, "device authorization status", d.Status, keypad.DevicePending)
	mustEqual(t, "device poll interval", d.Interval, 5*time.Second)
	if d.Resources != nil {
		t.Errorf("a device authorization made before resource indicators has resources %q, want none", d.Resources)
	}
	_, err = s.UpdateDeviceAuthorization(ctx, h(fxDeviceCode), func(d *keypad.DeviceAuthorization) error {
		d.Status, d.Subject, d.GrantID = keypad.DeviceApproved, "sub-heather", "gr_fixture"
		return nil
	})
	must(t, err)
	d, err = s.GetDeviceAuthorization(ctx, h(fxDeviceCode))
	must(t, err)
	mustEqual(t, "device authorization status after approval", d.Status, keypad.DeviceApproved)

	sess, err := s.GetSession(ctx, h(fxSession), fxNow)
	must(t, err)
	mustEqual(t, "browser session subject", sess.Subject, "sub-heather")

	code, err := s.ConsumeAuthCode(ctx, h(fxAuthCode), fxNow)
	must(t, err)
	mustEqual(t, "authorization code challenge", code.CodeChallenge, "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM")
	_, err = s.ConsumeAuthCode(ctx, h(fxAuthCode), fxNow)
	mustBeErr(t, err, keypad.ErrConsumed)

	otp, err := s.GetOTPSession(ctx, h(fxOTPSession))
	must(t, err)
	if !keypad.SecretMatches(otp.CodeHash, fxOTPCode) || len(otp.Channels) != 1 || otp.Channels[0].Destination != "+15555550100" {
		t.Errorf("OTP session after the upgrade = %+v, want its code and channel", otp)
	}
	// The queued message is still delivered, once.
	sends, err := s.ClaimOTPSends(ctx, "worker-after-upgrade", fxNow, time.Minute, 10)
	must(t, err)
	if len(sends) != 1 || string(sends[0].Sealed) != "sealed message" || !reflect.DeepEqual(sends[0].Charges, []string{"otp:dest:+15555550100"}) {
		t.Fatalf("claimed sends after the upgrade = %+v, want the one queued before it", sends)
	}
	again, err := s.ClaimOTPSends(ctx, "another-worker", fxNow, time.Minute, 10)
	must(t, err)
	mustEqual(t, "sends claimed twice", len(again), 0)
	msgs, err := s.ListOutboxMessages(ctx, 10)
	must(t, err)
	if len(msgs) != 1 || msgs[0].Body != "482193 is your code" {
		t.Errorf("outbox after the upgrade = %+v, want the one message", msgs)
	}
}
