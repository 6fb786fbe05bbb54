package harness

import (
	"strings"
	"sync"
	"testing"

	"github.com/oauthconform/oauthconform/schemas"
)

func TestValidate(t *testing.T) {
	tests := []struct {
		schema, body string
		want         []string // substrings, one per expected violation; nil means valid
	}{
		{"token-response.json", `{"access_token":"a","token_type":"BEARER","expires_in":3600,"id_token":"x","refresh_expires_in":1}`, nil},
		{"token-response.json", `{"access_token":"a","token_type":"bearer","expires_in":"3600"}`, []string{"expires_in"}},
		{"token-response.json", `{"access_token":"a","token_type":"bearer","expires_in":3600.5}`, []string{"expires_in"}},
		{"token-response.json", `{"token_type":"bearer"}`, []string{"access_token"}},
		{"token-response.json", `{"access_token":"é","token_type":"bearer"}`, []string{"access_token"}},
		{"token-oauth20-intents.json", `{"token_type":"bearer","access_token":"a","expires_in":3600,"scope":"accounts","refresh_token":"r"}`, nil},
		{"token-oauth20-intents.json", `{"token_type":"Bearer","access_token":"a","expires_in":3600}`, []string{"token_type"}},
		{"token-oauth20-intents.json", `{"token_type":"bearer","access_token":"a","expires_in":3600,"id_token":"x"}`, []string{"id_token"}},
		{"token-merchant-customer.json", `{"access_token":"a","expires_in":3600,"refresh_token":"r","token_type":"Bearer"}`, nil},
		{"token-merchant-customer.json", `{"access_token":"a","expires_in":3600}`, []string{"refresh_token"}},
		{"token-oob-pkce.json", `{"access_token":"a","refresh_token":"r","expires_in":86400,"token_type":"Bearer"}`, nil},
		{"token-oob-pkce.json", `{"access_token":"a","refresh_token":"r","expires_in":86400,"token_type":"mac"}`, []string{"token_type"}},
		{"error-response.json", `{"error":"invalid_grant","error_description":"Code expired.","error_uri":"https://as.example/e"}`, nil},
		{"error-response.json", `{"error":"invalid_grant","error_description":"Code expiré"}`, []string{"error_description"}},
		{"error-response.json", `{"error_description":"x"}`, []string{"error"}},
		{"error-response.json", `not json`, []string{"not JSON"}},
		{"no-such-schema.json", `{}`, []string{"no-such-schema.json"}},
	}
	for _, tt := range tests {
		got := Validate(tt.schema, []byte(tt.body))
		if len(got) != len(tt.want) {
			t.Errorf("Validate(%s, %s) = %q, want %d violation(s)", tt.schema, tt.body, got, len(tt.want))
			continue
		}
		for i, w := range tt.want {
			if !strings.Contains(got[i], w) {
				t.Errorf("Validate(%s, %s)[%d] = %q, want it to mention %q", tt.schema, tt.body, i, got[i], w)
			}
		}
	}
}

func TestEverySchemaCompilesOnce(t *testing.T) {
	names := schemas.Names()
	if len(names) < 5 {
		t.Fatalf("only %d schemas embedded", len(names))
	}
	var wg sync.WaitGroup
	for _, n := range names {
		for range 8 {
			wg.Go(func() {
				if _, err := loadSchema(n); err != nil {
					t.Error(err)
				}
			})
		}
	}
	wg.Wait()
	for _, n := range names {
		a, _ := loadSchema(n)
		b, _ := loadSchema(n)
		if a != b {
			t.Errorf("%s compiled twice", n)
		}
	}
}
