package oauth

import (
	"context"
	"fmt"
	"testing"
)

// BenchmarkOTPDecoyModel is what refreshing the decoy model costs, once
// every decoyModelTTL: reading 1,000 people from SQLite and counting what
// their hints show.
//
//	go test ./oauth -run '^$' -bench OTPDecoyModel -benchtime 50x
func BenchmarkOTPDecoyModel(b *testing.B) {
	e := newOTPEnv(b, OTPConfig{})
	for i := range decoySampleSize {
		e.mustPerson(fmt.Sprintf("sub-%04d", i), person{
			Email: fmt.Sprintf("p%d@example.com", i), Phone: fmt.Sprintf("(217) 555-%04d", i), Account: fmt.Sprintf("A-%05d", i),
		})
	}
	f, err := e.srv.otp()
	if err != nil {
		b.Fatal(err)
	}
	ctx := context.Background()
	b.ReportAllocs()
	for b.Loop() {
		e.clk.Advance(decoyModelTTL)
		if !f.decoyModel(ctx).Real() {
			b.Fatal("the model is not drawn from the people")
		}
	}
}
