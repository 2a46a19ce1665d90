package oauth_test

import (
	"bufio"
	"encoding/json"
	"maps"
	"net/http"
	"net/url"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/keypadauth/keypad"
	"github.com/keypadauth/keypad/oauth"
)

// docIssuer is the issuer the examples in docs/authorization-code.md use.
const docIssuer = "https://auth.example.com"

// docExamples reads the marked examples of a docs page: name -> the text
// of the code block that follows <!-- example: name -->.
func docExamples(t *testing.T, path string) map[string]string {
	t.Helper()
	b, err := os.ReadFile(path)
	must(t, err)
	re := regexp.MustCompile("(?s)<!-- example: ([a-z-]+) -->\n```[a-z]*\n(.*?)\n```")
	out := map[string]string{}
	for _, m := range re.FindAllStringSubmatch(string(b), -1) {
		if _, dup := out[m[1]]; dup {
			t.Fatalf("%s: example %q appears twice", path, m[1])
		}
		out[m[1]] = m[2]
	}
	return out
}

// docPage is the marked examples of a docs page and which of them a test
// has read; the test ends with allChecked, so that no example goes
// unchecked.
type docPage struct {
	t       *testing.T
	path    string
	ex      map[string]string
	checked map[string]bool
}

func openDocPage(t *testing.T, path string) *docPage {
	t.Helper()
	return &docPage{t: t, path: path, ex: docExamples(t, path), checked: map[string]bool{}}
}

// get returns the text of example name and counts it as checked.
func (d *docPage) get(name string) string {
	d.t.Helper()
	text, ok := d.ex[name]
	if !ok {
		d.t.Fatalf("%s has no example %q", d.path, name)
	}
	d.checked[name] = true
	return text
}

// curl reads example name as a documented curl command.
func (d *docPage) curl(name string) curlRequest { d.t.Helper(); return parseCurl(d.t, d.get(name)) }

// reply reads example name as a documented answer.
func (d *docPage) reply(name string) docReply {
	d.t.Helper()
	return parseDocReply(d.t, name, d.get(name))
}

// allChecked fails for each example the test did not read.
func (d *docPage) allChecked() {
	d.t.Helper()
	for _, name := range slices.Sorted(maps.Keys(d.ex)) {
		if !d.checked[name] {
			d.t.Errorf("example %q of %s is not checked by this test", name, d.path)
		}
	}
}

// httpExample is a request or response example: its first line, headers
// and body.
type httpExample struct {
	first  string
	header http.Header
	body   string
}

func parseHTTPExample(t *testing.T, text string) httpExample {
	t.Helper()
	head, body, _ := strings.Cut(text, "\n\n")
	sc := bufio.NewScanner(strings.NewReader(head))
	sc.Scan()
	ex := httpExample{first: sc.Text(), header: http.Header{}, body: body}
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), ": ")
		if !ok {
			t.Fatalf("example header line %q is not 'Name: value'", sc.Text())
		}
		ex.header.Add(k, v)
	}
	return ex
}

// requestTarget returns the method and the parsed target of a request
// example's first line.
func (ex httpExample) requestTarget(t *testing.T) (string, *url.URL) {
	t.Helper()
	f := strings.Fields(ex.first)
	if len(f) != 3 || f[2] != "HTTP/1.1" {
		t.Fatalf("request line %q is not 'METHOD target HTTP/1.1'", ex.first)
	}
	u, err := url.Parse(f[1])
	must(t, err)
	return f[0], u
}

func (ex httpExample) form(t *testing.T) url.Values {
	t.Helper()
	v, err := url.ParseQuery(ex.body)
	must(t, err)
	return v
}

func jsonExample(t *testing.T, name, text string) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(text), &m); err != nil {
		t.Fatalf("example %s is not a JSON object: %v", name, err)
	}
	return m
}

// sameKeys fails unless the documented and the real JSON have the same
// members, and the listed members the same values.
func sameKeys(t *testing.T, name string, doc, real map[string]any, sameValues ...string) {
	t.Helper()
	if d, r := slices.Sorted(maps.Keys(doc)), slices.Sorted(maps.Keys(real)); !slices.Equal(d, r) {
		t.Errorf("example %s has members %v; the real response has %v", name, d, r)
	}
	for _, k := range sameValues {
		if !reflect.DeepEqual(doc[k], real[k]) {
			t.Errorf("example %s: %s = %v, the real response says %v", name, k, doc[k], real[k])
		}
	}
}

// getMetadata fetches server metadata (RFC 8414, OIDC discovery) from url.
func getMetadata(t *testing.T, url string) map[string]any {
	t.Helper()
	res, err := http.Get(url)
	must(t, err)
	defer res.Body.Close()
	var meta map[string]any
	must(t, json.NewDecoder(res.Body).Decode(&meta))
	return meta
}

// sameMetadata fails unless every documented member of the metadata is
// there with the documented value; the lists that depend on configuration
// (lists) need only contain the documented entries.
func sameMetadata(t *testing.T, name string, doc, real map[string]any, lists ...string) {
	t.Helper()
	for k, v := range doc {
		if !slices.Contains(lists, k) {
			if !reflect.DeepEqual(real[k], v) {
				t.Errorf("%s: %s = %v, documented %v", name, k, real[k], v)
			}
			continue
		}
		for _, s := range toStrings(v) {
			if !slices.Contains(toStrings(real[k]), s) {
				t.Errorf("%s: %s lacks the documented %q: %v", name, k, s, real[k])
			}
		}
	}
}

// TestDocsAuthorizationCode sends the requests of docs/authorization-code.md
// to a real keypad and compares the answers with the documented ones.
func TestDocsAuthorizationCode(t *testing.T) {
	examples := openDocPage(t, "../docs/authorization-code.md")
	get := examples.get
	e := newFlowEnv(t)
	e.updateClient("webapp", func(c *keypad.Client) {
		c.RedirectURIs = append(c.RedirectURIs, "https://app.example.com/callback")
	})
	// Documented values name the documented issuer; the test server has
	// its own.
	local := func(s string) string { return strings.ReplaceAll(s, docIssuer, e.ts.URL) }
	localQuery := func(v url.Values) url.Values {
		for k := range v {
			for i := range v[k] {
				v[k][i] = local(v[k][i])
			}
		}
		return v
	}

	// 1, 2: the authorization request, verbatim, and its answer.
	method, target := parseHTTPExample(t, get("authorize-request")).requestTarget(t)
	if method != "GET" || target.Path != oauth.PathAuthorize {
		t.Fatalf("authorize-request is %s %s", method, target.Path)
	}
	a := e.agent()
	back := a.authorize(e.ts.URL+target.RequestURI(), "alice", alicePassword, "approve")
	resp := parseHTTPExample(t, get("authorize-response"))
	docLoc, err := url.Parse(resp.header.Get("Location"))
	must(t, err)
	if !strings.HasPrefix(resp.first, "HTTP/1.1 303") || back.Host != docLoc.Host || back.Path != docLoc.Path {
		t.Errorf("authorize-response %q to %s; keypad answered 303 to %s", resp.first, docLoc, back)
	}
	got, want := back.Query(), localQuery(docLoc.Query())
	if !slices.Equal(slices.Sorted(maps.Keys(got)), slices.Sorted(maps.Keys(want))) ||
		got.Get("state") != want.Get("state") || got.Get("iss") != want.Get("iss") ||
		!strings.HasPrefix(got.Get("code"), keypad.PrefixAuthCode) {
		t.Errorf("authorize-response query %v; keypad answered %v", want, got)
	}

	errResp := parseHTTPExample(t, get("authorize-error"))
	errLoc, err := url.Parse(errResp.header.Get("Location"))
	must(t, err)
	bad := target.Query()
	bad.Set("response_type", "token")
	p := e.agent().do("GET", e.authURL(bad), nil)
	gotErr, err := url.Parse(p.location)
	must(t, err)
	if g, w := gotErr.Query(), localQuery(errLoc.Query()); !reflect.DeepEqual(g, w) {
		t.Errorf("authorize-error query\n%v\nkeypad answered\n%v", w, g)
	}

	// 3: the token request with the documented verifier.
	tokReq := parseHTTPExample(t, get("token-request"))
	if m, tgt := tokReq.requestTarget(t); m != "POST" || tgt.Path != oauth.PathToken {
		t.Errorf("token-request is %s %s", m, tgt.Path)
	}
	form := tokReq.form(t)
	form.Set("code", got.Get("code"))
	tok := e.post(oauth.PathToken, "webapp", form)
	wantOK(t, tok)
	sameKeys(t, "token-response", jsonExample(t, "token-response", get("token-response")), tok.body, "token_type", "scope")

	// 4: the ID token.
	_, claims := e.verifyJWT(tok.str("id_token"))
	docClaims := jsonExample(t, "id-token-claims", local(get("id-token-claims")))
	sameKeys(t, "id-token-claims", docClaims, claims, "iss", "aud", "nonce", "amr")

	// 5: userinfo.
	m, tgt := parseHTTPExample(t, get("userinfo-request")).requestTarget(t)
	if m != "GET" || tgt.Path != oauth.PathUserinfo {
		t.Errorf("userinfo-request is %s %s", m, tgt.Path)
	}
	info := e.userinfo(tok.str("access_token"))
	sameKeys(t, "userinfo-response", jsonExample(t, "userinfo-response", get("userinfo-response")), info.body,
		"name", "preferred_username", "email")

	// 6: refresh, then the reuse of the spent token.
	refForm := parseHTTPExample(t, get("refresh-request")).form(t)
	refForm.Set("refresh_token", tok.str("refresh_token"))
	ref := e.post(oauth.PathToken, "webapp", refForm)
	wantOK(t, ref)
	sameKeys(t, "refresh-response", jsonExample(t, "refresh-response", get("refresh-response")), ref.body, "token_type", "scope")
	reuse := e.post(oauth.PathToken, "webapp", refForm)
	sameKeys(t, "refresh-reuse-error", jsonExample(t, "refresh-reuse-error", get("refresh-reuse-error")), reuse.body,
		"error", "error_description")

	// My devices: revoke a fresh sign-in, then introspect its token.
	fresh := e.signIn("api:read")
	page := a.open(e.ts.URL+"/account/devices", "alice", alicePassword)
	if !strings.Contains(page.body, e.grantOf(fresh.str("access_token"))) {
		t.Fatalf("my devices does not list the fresh grant")
	}
	a.do("POST", e.ts.URL+"/account/devices", url.Values{"grant": {e.grantOf(fresh.str("access_token"))}})
	intro := e.post(oauth.PathIntrospect, "webapp", url.Values{"token": {fresh.str("access_token")}})
	sameKeys(t, "introspection-after-revoke", jsonExample(t, "introspection-after-revoke", get("introspection-after-revoke")),
		intro.body, "active")

	// The password grant, as the legacy client.
	pw := e.post(oauth.PathToken, "legacy", parseHTTPExample(t, get("password-request")).form(t))
	wantOK(t, pw)
	sameKeys(t, "password-response", jsonExample(t, "password-response", get("password-response")), pw.body, "token_type", "scope")

	// Discovery.
	sameMetadata(t, "discovery", jsonExample(t, "discovery", local(get("discovery"))),
		getMetadata(t, e.ts.URL+oauth.PathOIDCDiscovery), "grant_types_supported", "scopes_supported")

	examples.allChecked()
}
