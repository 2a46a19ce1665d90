package cluster

import (
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
)

// agent is one party (a device, a browser, a backend) talking to the
// cluster through the balancer. It keeps cookies and follows no redirects
// on its own. While the test runs its steps one at a time
// (cluster.sequential), each request must land on another instance than
// the request before it, whoever sent it (round-robin): no flow step can
// depend on reaching the instance of the previous step.
type agent struct {
	c      *cluster
	client *http.Client
	// id and secret authenticate requests as a client (HTTP Basic).
	id, secret string
}

func (c *cluster) agent(id, secret string) *agent {
	jar, err := cookiejar.New(nil)
	if err != nil {
		c.t.Fatal(err)
	}
	return &agent{c: c, id: id, secret: secret, client: &http.Client{
		Jar:           jar,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}}
}

// reply is a response with its body read and the instance that sent it.
type reply struct {
	status   int
	header   http.Header
	body     string
	instance string
}

func (r reply) json(t testing.TB, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("status %d, body %q is not JSON: %v", r.status, r.body, err)
	}
}

// do sends req and checks it ran on an instance other than the previous
// request's.
func (a *agent) do(req *http.Request) reply {
	t := a.c.t
	t.Helper()
	resp, err := a.client.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL.Path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	r := reply{status: resp.StatusCode, header: resp.Header, body: string(b), instance: resp.Header.Get(instanceHeader)}
	if r.instance == "" {
		t.Fatalf("%s %s: no %s header: the balancer did not answer", req.Method, req.URL.Path, instanceHeader)
	}
	a.c.mu.Lock()
	last := a.c.last
	a.c.last = r.instance
	sequential := a.c.sequential
	a.c.mu.Unlock()
	if sequential && r.instance == last {
		t.Fatalf("%s %s ran on instance %s again: consecutive steps must land on different instances", req.Method, req.URL.Path, r.instance)
	}
	return r
}

// get fetches path (or an absolute URL on the balancer).
func (a *agent) get(path string) reply {
	a.c.t.Helper()
	if !strings.HasPrefix(path, "http") {
		path = a.c.base + path
	}
	req, err := http.NewRequest("GET", path, nil)
	if err != nil {
		a.c.t.Fatal(err)
	}
	return a.do(req)
}

// post sends a form, authenticated as the agent's client when it has one.
func (a *agent) post(path string, form url.Values) reply {
	a.c.t.Helper()
	req, err := http.NewRequest("POST", a.c.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		a.c.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if a.id != "" && a.secret != "" {
		req.SetBasicAuth(url.QueryEscape(a.id), url.QueryEscape(a.secret))
	} else if a.id != "" && form.Get("client_id") == "" && strings.HasPrefix(path, "/oauth2/") {
		form.Set("client_id", a.id)
		req.Body = io.NopCloser(strings.NewReader(form.Encode()))
		req.ContentLength = int64(len(form.Encode()))
	}
	return a.do(req)
}

// must checks a reply's status.
func (r reply) must(t testing.TB, what string, status int) reply {
	t.Helper()
	if r.status != status {
		t.Fatalf("%s: status %d on instance %s, want %d; body: %s", what, r.status, r.instance, status, r.body)
	}
	return r
}

// tokens is a token endpoint answer.
type tokens struct {
	AccessToken  string `json:"access_token"`
	RefreshToken string `json:"refresh_token"`
	Error        string `json:"error"`
}

// kidOf returns the kid in a JWT's header.
func kidOf(t testing.TB, jwt string) string {
	t.Helper()
	head, _, _ := strings.Cut(jwt, ".")
	b, err := base64.RawURLEncoding.DecodeString(head)
	if err != nil {
		t.Fatalf("not a JWT: %q", jwt)
	}
	var h struct{ Kid string }
	if err := json.Unmarshal(b, &h); err != nil {
		t.Fatal(err)
	}
	return h.Kid
}

// active introspects tok as the resource server rs.
func (c *cluster) active(rs *agent, tok string) bool {
	c.t.Helper()
	var in struct{ Active bool }
	rs.post("/oauth2/introspect", url.Values{"token": {tok}}).must(c.t, "introspect", http.StatusOK).json(c.t, &in)
	return in.Active
}
