package oauth

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/keypadauth/keypad/internal/pgtest"

	_ "github.com/jackc/pgx/v5/stdlib"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/identifier"
	"github.com/keypadauth/keypad/store/postgres"
	"github.com/keypadauth/keypad/store/sqlite"
)

// queueServer is a second keypad instance of e's: another oauth.Server
// with the OTP flow, the same key and server secret and the same
// providers, on st.
func (e *otpEnv) queueServer(t *testing.T, st keypad.Store) *Server {
	t.Helper()
	f, err := e.srv.otp()
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Issuer: testIssuer, AccessTTL: accessTTL, RefreshTTL: 24 * time.Hour, OTP: &OTPConfig{}}, Deps{
		Store: st, Issuer: e.issuer, Metrics: e.metrics, Now: e.clk.Now,
		Logger: slog.New(slog.NewTextHandler(e.logs, nil)),
		OTP:    OTPDeps{Router: f.router, Key: e.key, Sealer: f.queue.sealer},
	})
	if err != nil {
		t.Fatal(err)
	}
	return srv
}

// TestOTPQueueSurvivesACrash: a message queued by an instance that stops
// before delivering it is delivered, exactly once, by the next instance
// started on the same database.
func TestOTPQueueSurvivesACrash(t *testing.T) {
	e := newOTPEnv(t, OTPConfig{})
	e.mustPerson("sub-heather", heather)
	c := mustChallenge(t, e.lookup("heather@example.com", ""))
	// The first instance queues and "crashes": its worker never runs.
	if r := e.sendOnly(c.session, c.channel(t, "email")); r.status != 200 {
		t.Fatalf("send: %d %s", r.status, r.raw)
	}
	e.ts.Close()
	e.mail.None(t)

	var path string
	if err := e.st.DB().QueryRow(`SELECT file FROM pragma_database_list WHERE name = 'main'`).Scan(&path); err != nil {
		t.Fatal(err)
	}
	st, err := sqlite.Open(context.Background(), path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	next := e.queueServer(t, st)
	ctx, stop := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { next.RunOTPQueue(ctx); close(done) }()
	m := e.mail.Wait(t, 10*time.Second)
	stop()
	<-done
	if len(m.To) != 1 || m.To[0] != "heather@example.com" {
		t.Errorf("mail to %v, want heather@example.com", m.To)
	}
	_, text := mailText(t, m.Data)
	code := emailCode.FindStringSubmatch(text)
	if code == nil {
		t.Fatalf("no code in the mail:\n%s", text)
	}
	for _, srv := range []*Server{e.srv, next} {
		if n, err := srv.DeliverOTPQueue(context.Background()); n != 0 || err != nil {
			t.Errorf("after the delivery a worker found %d messages (%v), want none: it would go twice", n, err)
		}
	}
	if got := e.mail.Count(); got != 1 {
		t.Errorf("mails sent = %d, want exactly 1", got)
	}
	// The code the next instance delivered is the one in force.
	if _, err := next.redeemForTest(c.session, code[1], e.kiosk); err != nil {
		t.Errorf("the delivered code does not redeem: %v", err)
	}
}

// redeemForTest redeems a token-purpose code through the flow.
func (s *Server) redeemForTest(session, code string, client *keypad.Client) (*keypad.OTPSession, error) {
	f, err := s.otp()
	if err != nil {
		return nil, err
	}
	return f.redeem(context.Background(), redeemRequest{client: client, purpose: OTPPurposeToken, handle: session, code: code})
}

// TestOTPQueueTwoInstancesPostgres: two instances on one PostgreSQL
// database, each with several workers racing for the queue, deliver each
// message exactly once.
func TestOTPQueueTwoInstancesPostgres(t *testing.T) {
	dsn := freshPostgresSchema(t)
	e := newOTPEnv(t, OTPConfig{})
	ctx := context.Background()
	var srvs []*Server
	for range 2 {
		st, err := postgres.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { st.Close() })
		if err := st.Migrate(ctx); err != nil {
			t.Fatal(err)
		}
		srvs = append(srvs, e.queueServer(t, st))
	}
	const people = 40
	for i := range people {
		p := person{Name: fmt.Sprint("P", i), Email: fmt.Sprintf("p%d@example.com", i)}
		p.ExternalID = fmt.Sprint("sub-", i)
		s, err := p.Subject(identifier.Normalizer{})
		if err != nil {
			t.Fatal(err)
		}
		s.ID, s.CreatedAt, s.UpdatedAt = p.ExternalID, e.clk.Now(), e.clk.Now()
		if err := srvs[0].store.CreateSubject(ctx, s); err != nil {
			t.Fatal(err)
		}
		ch, err := srvs[i%2].OTPStart(ctx, p.Email, "", "192.0.2.1", "")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srvs[i%2].OTPSend(ctx, ch.Session, ch.Channels[0].ID, "192.0.2.1"); err != nil {
			t.Fatal(err)
		}
	}
	const workers = 8
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range workers {
		wg.Go(func() {
			<-start
			if _, err := srvs[i%2].DeliverOTPQueue(ctx); err != nil {
				t.Errorf("worker %d: %v", i, err)
			}
		})
	}
	close(start)
	wg.Wait()
	got := map[string]int{}
	for range people {
		m := e.mail.Wait(t, 10*time.Second)
		got[strings.Join(m.To, ",")]++
	}
	e.mail.None(t)
	for i := range people {
		if to := fmt.Sprintf("p%d@example.com", i); got[to] != 1 {
			t.Errorf("%s got %d mails, want exactly 1", to, got[to])
		}
	}
}

// freshPostgresSchema makes an empty schema of KEYPAD_TEST_POSTGRES for
// t, dropped at cleanup, and returns a DSN that selects it.
func freshPostgresSchema(t *testing.T) string {
	t.Helper()
	return pgtest.Schema(t, "keypad_oauth")
}
