package mockserver

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/oauthconform/oauthconform/profile"
)

// FuzzTokenEndpoint: whatever a client sends, the token endpoint answers
// with a 2xx token or an RFC 6749 error JSON, never a 5xx or a panic. Its seed
// corpus runs in every `go test`; `go test -fuzz FuzzTokenEndpoint` explores.
func FuzzTokenEndpoint(f *testing.F) {
	seeds := []struct{ ct, auth, body string }{
		{"application/x-www-form-urlencoded", basicHeader("conf-client", "conf-secret"), "grant_type=client_credentials"},
		{"application/x-www-form-urlencoded", "", "grant_type=password&username=alice&password=alice-password&client_id=public-client"},
		{"application/json", "", `{"client_id":"conf-client","client_secret":"conf-secret"}`},
		{"application/json", "", `{"a":[1,{"b":null}]}`},
		{"application/x-www-form-urlencoded; charset=utf-8", "Basic Og==", "grant_type=refresh_token&refresh_token=%ff"},
		{"multipart/form-data; boundary=x", "Bearer x", "--x--"},
		{"", "Basic " + strings.Repeat("=", 9), "\x00"},
		{"application/x-www-form-urlencoded", basicHeader("conf-client", "conf-secret"), "grant_type=authorization_code&code=x&redirect_uri=%zz"},
	}
	for _, s := range seeds {
		f.Add(s.ct, s.auth, s.body)
	}
	var providers []*Provider
	for _, name := range []string{"rfc6749", "merchant-customer", "oob-pkce"} {
		p, err := New(Config{Dialect: profile.MustLoad(name)})
		if err != nil {
			f.Fatal(err)
		}
		f.Cleanup(p.Close)
		providers = append(providers, p)
	}
	f.Fuzz(func(t *testing.T, ct, auth, body string) {
		for _, p := range providers {
			r := httptest.NewRequest(http.MethodPost, p.settings.Endpoints.Token, strings.NewReader(body))
			if ct != "" {
				r.Header.Set("Content-Type", ct)
			}
			if auth != "" {
				r.Header.Set("Authorization", auth)
			}
			w := httptest.NewRecorder()
			p.ServeHTTP(w, r)
			if w.Code >= 500 {
				t.Fatalf("%s: %d %s", p.settings.Dialect, w.Code, w.Body)
			}
			var m map[string]any
			if err := json.Unmarshal(w.Body.Bytes(), &m); err != nil {
				t.Fatalf("%s: not JSON: %s", p.settings.Dialect, w.Body)
			}
			if w.Code != 200 && m["error"] == nil {
				t.Fatalf("%s: %d without error member", p.settings.Dialect, w.Code)
			}
		}
	})
}
