package engine

import (
	"slices"
	"testing"
)

func TestMetadataURLs(t *testing.T) {
	for issuer, want := range map[string][]string{
		"https://as.example":          {"https://as.example/.well-known/oauth-authorization-server", "https://as.example/.well-known/openid-configuration"},
		"https://as.example/":         {"https://as.example/.well-known/oauth-authorization-server", "https://as.example/.well-known/openid-configuration"},
		"https://as.example/tenant/1": {"https://as.example/.well-known/oauth-authorization-server/tenant/1", "https://as.example/tenant/1/.well-known/openid-configuration"},
	} {
		if got := metadataURLs(issuer); !slices.Equal(got, want) {
			t.Errorf("%s: %q, want %q", issuer, got, want)
		}
	}
}
