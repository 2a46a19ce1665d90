package admin_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/config"
	"github.com/keypadauth/keypad/oauth"
)

type job struct {
	ID        string `json:"id"`
	Status    string `json:"status"`
	Rows      int    `json:"rows"`
	Created   int    `json:"created"`
	Updated   int    `json:"updated"`
	Unchanged int    `json:"unchanged"`
	Bad       int    `json:"bad"`
	Errors    []struct {
		Line   int    `json:"line"`
		Field  string `json:"field"`
		Reason string `json:"reason"`
	} `json:"errors"`
	Error string `json:"error"`
}

// awaitImport waits for a job to end (?wait=true) and returns it.
func awaitImport(t *testing.T, e *env, tok, id string) job {
	t.Helper()
	var j job
	r := e.call(tok, "GET", "/admin/v1/imports/"+id+"?wait=true", nil)
	r.json(t, &j)
	if r.status != 200 || j.Status == keypad.ImportRunning {
		t.Fatalf("import %s after waiting: %d %s", id, r.status, r.body)
	}
	return j
}

// TestImports: a CSV upload runs as a job whose counts and line-numbered
// errors match the file; importing it again changes nothing; JSON Lines
// work the same; a bad header is a 400 and no job.
func TestImports(t *testing.T) {
	e := newEnv(t, sqliteDB(t), func(c *config.Config) { c.OTP.Region = "US" })
	tok := e.token("ops", oauth.ScopeUsers)
	var b strings.Builder
	b.WriteString("external_id,name,email,phone\n")
	for i := range 2500 {
		fmt.Fprintf(&b, "C-%d,Person %d,p%d@example.com,+1415555%04d\n", i, i, i, i)
	}
	b.WriteString("C-bad,Bad phone,bad@example.com,12\n") // line 2502
	b.WriteString(",No ID,noid@example.com,\n")           // line 2503
	csv := b.String()
	submit := func(body, ctype string) job {
		t.Helper()
		r := e.call(tok, "POST", "/admin/v1/imports", body, "Content-Type", ctype)
		var j job
		r.json(t, &j)
		if r.status != 202 || r.header.Get("Location") != "/admin/v1/imports/"+j.ID || j.Status != keypad.ImportRunning {
			t.Fatalf("upload: %d %v %s", r.status, r.header, r.body)
		}
		return awaitImport(t, e, tok, j.ID)
	}
	j := submit(csv, "text/csv")
	if j.Status != keypad.ImportSucceeded || j.Rows != 2502 || j.Created != 2500 || j.Bad != 2 || len(j.Errors) != 2 {
		t.Fatalf("first import: %+v", j)
	}
	if j.Errors[0].Line != 2502 || j.Errors[0].Field != "phone" || j.Errors[1].Line != 2503 || j.Errors[1].Field != "external_id" {
		t.Errorf("errors %+v: want line 2502 phone, line 2503 external_id", j.Errors)
	}
	var found personList
	e.call(tok, "GET", "/admin/v1/people?phone=4155551234", nil).json(t, &found)
	if len(found.Items) != 1 || found.Items[0].Name != "Person 1234" {
		t.Errorf("an imported person by phone: %+v", found.Items)
	}
	if again := submit(csv, "text/csv"); again.Unchanged != 2500 || again.Created != 0 {
		t.Errorf("the same file again: %+v, want all unchanged", again)
	}
	jl := submit(`{"external_id":"C-1","name":"Renamed","email":"p1@example.com"}`+"\n"+`{"external_id":"J-1","email":"j@example.com"}`+"\n", "application/jsonl")
	if jl.Status != keypad.ImportSucceeded || jl.Updated != 1 || jl.Created != 1 {
		t.Errorf("JSON Lines: %+v", jl)
	}

	p := e.call(tok, "POST", "/admin/v1/imports", "colour,name\nred,x\n", "Content-Type", "text/csv").problem(t, 400)
	if p.Errors[0].Field != "file" {
		t.Errorf("a bad header: %+v", p)
	}
	e.call(tok, "POST", "/admin/v1/imports", csv, "Content-Type", "application/pdf").problem(t, 415)
	e.call(tok, "GET", "/admin/v1/imports/imp_nope", nil).problem(t, 404)
	e.call(tok, "GET", "/admin/v1/imports/"+j.ID+"?wait=soon", nil).problem(t, 400)
	e.call(tok, "GET", "/admin/v1/imports/"+j.ID+"?colour=red", nil).problem(t, 400)
}

// TestImportCutByRestart: a job left running by a server that stopped
// (no progress for two minutes) is reported failed, never running for
// good.
func TestImportCutByRestart(t *testing.T) {
	e := newEnv(t, sqliteDB(t), nil)
	tok := e.token("ops", oauth.ScopeUsers)
	now := e.clock.Now().UTC()
	if err := e.srv.Store().CreateImportJob(t.Context(), &keypad.ImportJob{ID: "imp_cut", ClientID: "ops", Format: "csv",
		Status: keypad.ImportRunning, Rows: 1000, Created: 1000, CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	var j job
	e.call(tok, "GET", "/admin/v1/imports/imp_cut", nil).json(t, &j)
	if j.Status != keypad.ImportRunning {
		t.Fatalf("a job with fresh progress: %+v, want running", j)
	}
	e.clock.Advance(2 * time.Minute)
	tok = e.token("ops", oauth.ScopeUsers)
	e.call(tok, "GET", "/admin/v1/imports/imp_cut", nil).json(t, &j)
	if j.Status != keypad.ImportFailed || j.Rows != 1000 || !strings.Contains(j.Error, "import the file again") {
		t.Fatalf("a silent job: %+v, want failed with its counts and what to do", j)
	}
	stored, err := e.srv.Store().GetImportJob(t.Context(), "imp_cut")
	if err != nil || stored.Status != keypad.ImportFailed {
		t.Errorf("stored job %+v, %v: want it recorded failed", stored, err)
	}
}
