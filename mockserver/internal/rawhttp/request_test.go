package rawhttp

import (
	"bufio"
	"bytes"
	"net/http"
	"testing"
)

// TestClientCredentials: net/http reads the request as RFC 6749 §4.4.2
// and §2.3.1 describe it.
func TestClientCredentials(t *testing.T) {
	raw := ClientCredentials("/oauth/token?x=1", "127.0.0.1:9", "c:1", "s e", "read write")
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(raw)))
	if err != nil {
		t.Fatal(err)
	}
	if err := r.ParseForm(); err != nil {
		t.Fatal(err)
	}
	if r.Method != http.MethodPost || r.URL.Path != "/oauth/token" || r.Host != "127.0.0.1:9" {
		t.Errorf("request line: %s %s host %s", r.Method, r.URL, r.Host)
	}
	if g, s := r.PostForm.Get("grant_type"), r.PostForm.Get("scope"); g != "client_credentials" || s != "read write" {
		t.Errorf("form: grant_type %q scope %q", g, s)
	}
	// Basic credentials are form-encoded before base64 (RFC 6749 §2.3.1).
	if id, secret, ok := r.BasicAuth(); !ok || id != "c%3A1" || secret != "s+e" {
		t.Errorf("basic: %q %q %v", id, secret, ok)
	}
}
