// Package xmlsectest signs XML with xmlsec1 (the XML Security Library's
// command line, Debian package xmlsec1), an XML-DSig implementation
// independent of the Go one keypad verifies with. Tests that need it skip
// without it, and fail under KEYPAD_TEST_STRICT=1, which asks that every
// component be present.
package xmlsectest

import (
	"crypto/rsa"
	"crypto/x509"
	"encoding/pem"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// Binary returns the path of xmlsec1, skipping t (failing it under
// KEYPAD_TEST_STRICT=1) when there is none.
func Binary(t testing.TB) string {
	t.Helper()
	p, err := exec.LookPath("xmlsec1")
	if err != nil {
		msg := "xmlsec1 not found: install the Debian package xmlsec1 to run the xmlsec1 interop tests"
		if os.Getenv("KEYPAD_TEST_STRICT") == "1" {
			t.Fatal(msg + " (KEYPAD_TEST_STRICT=1 makes a missing component a failure)")
		}
		t.Skip(msg)
	}
	return p
}

// SignEnveloped fills the ds:Signature template in doc (an XML document
// whose element with attribute ID is the one the template's Reference
// names) with key and cert, and returns the signed document. idNode is
// the element carrying the ID attribute, as "namespace-uri:local-name".
func SignEnveloped(t testing.TB, doc []byte, idNode string, key *rsa.PrivateKey, cert *x509.Certificate) []byte {
	t.Helper()
	bin := Binary(t)
	dir := t.TempDir()
	keyFile, certFile := filepath.Join(dir, "key.pem"), filepath.Join(dir, "cert.pem")
	in, out := filepath.Join(dir, "in.xml"), filepath.Join(dir, "out.xml")
	must(t, os.WriteFile(keyFile, pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)}), 0o600))
	must(t, os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 0o600))
	must(t, os.WriteFile(in, doc, 0o600))
	cmd := exec.Command(bin, "--sign", "--privkey-pem", keyFile+","+certFile,
		"--id-attr:ID", idNode, "--output", out, in)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("xmlsec1 --sign: %v\n%s", err, b)
	}
	signed, err := os.ReadFile(out)
	must(t, err)
	return signed
}

func must(t testing.TB, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}
