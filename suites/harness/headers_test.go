package harness

import (
	"errors"
	"net/http"
	"testing"
)

func TestMediaType(t *testing.T) {
	tests := map[string]string{
		"application/json":                  "application/json",
		"Application/JSON; charset=UTF-8":   "application/json",
		" application/json ;charset=utf-8 ": "application/json",
		"text/html":                         "text/html",
		"":                                  "",
	}
	for in, want := range tests {
		h := http.Header{}
		if in != "" {
			h.Set("Content-Type", in)
		}
		if got := MediaType(h); got != want {
			t.Errorf("MediaType(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestHasDirective(t *testing.T) {
	tests := []struct {
		values    []string
		directive string
		want      bool
	}{
		{[]string{"no-store"}, "no-store", true},
		{[]string{"No-Store"}, "no-store", true},
		{[]string{"private, no-cache, NO-STORE, max-age=0"}, "no-store", true},
		{[]string{"no-cache", "no-store"}, "no-store", true}, // two header lines
		{[]string{"no-cache"}, "no-store", false},
		{[]string{"no-storex"}, "no-store", false},
		{[]string{`no-cache="set-cookie"`}, "no-cache", true},
		{[]string{"max-age=0"}, "max-age", true},
		{nil, "no-store", false},
		{[]string{""}, "no-store", false},
	}
	for _, tt := range tests {
		if got := HasDirective(tt.values, tt.directive); got != tt.want {
			t.Errorf("HasDirective(%q, %q) = %v", tt.values, tt.directive, got)
		}
	}
}

func TestAuthSchemes(t *testing.T) {
	tests := []struct {
		values []string
		first  string
		has    string
		want   bool
	}{
		{[]string{`Basic realm="oauth"`}, "Basic", "basic", true},
		{[]string{`basic`}, "basic", "Basic", true},
		{[]string{`BASIC realm="a, b", charset="UTF-8"`}, "BASIC", "basic", true},
		{[]string{`Bearer realm="x", error="invalid_token", Basic realm="y"`}, "Bearer", "basic", true},
		{[]string{`Bearer realm="x"`, `Basic`}, "Bearer", "basic", true},
		{[]string{`Bearer realm="Basic x, Basic y"`}, "Bearer", "basic", false},
		{[]string{`Newauth abc==, Basic`}, "Newauth", "basic", true},
		{[]string{``}, "", "basic", false},
		{nil, "", "basic", false},
	}
	for _, tt := range tests {
		first := ""
		if len(tt.values) > 0 {
			first = AuthScheme(tt.values[0])
		}
		if first != tt.first {
			t.Errorf("AuthScheme(%q) = %q, want %q", tt.values, first, tt.first)
		}
		if got := HasAuthScheme(tt.values, tt.has); got != tt.want {
			t.Errorf("HasAuthScheme(%q, %q) = %v", tt.values, tt.has, got)
		}
	}
}

func TestCharsets(t *testing.T) {
	tests := []struct {
		name   string
		check  func(string) error
		in     string
		ok     bool
		offset int
	}{
		{"error", CheckErrorCode, "invalid_request", true, 0},
		{"error", CheckErrorCode, "with space!", true, 0},
		{"error", CheckErrorCode, "", false, -1},
		{"error", CheckErrorCode, `quo"te`, false, 3},
		{"error", CheckErrorCode, `back\slash`, false, 4},
		{"error", CheckErrorCode, "tab\t", false, 3},
		{"description", CheckErrorDescription, "Client authentication failed (unknown client).", true, 0},
		{"description", CheckErrorDescription, "", true, 0},
		{"description", CheckErrorDescription, "Le code est expiré", false, 17},
		{"description", CheckErrorDescription, "line\nbreak", false, 4},
		{"description", CheckErrorDescription, "\x7f", false, 0},
		{"uri", CheckErrorURI, "https://as.example/errors#invalid_grant", true, 0},
		{"uri", CheckErrorURI, "", true, 0},
		{"uri", CheckErrorURI, "https://as.example/a b", false, 20},
		{"vschar", func(s string) error { return CheckVSChar("access_token", s) }, "abc DEF~!", true, 0},
		{"vschar", func(s string) error { return CheckVSChar("access_token", s) }, `a"\b`, true, 0},
		{"vschar", func(s string) error { return CheckVSChar("access_token", s) }, "", false, -1},
		{"vschar", func(s string) error { return CheckVSChar("access_token", s) }, "a\x00", false, 1},
		{"scope-token", CheckScopeToken, "read:all", true, 0},
		{"scope-token", CheckScopeToken, "a b", false, 1},
		{"scope-token", CheckScopeToken, "", false, -1},
	}
	for _, tt := range tests {
		err := tt.check(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("%s %q: err = %v, want ok=%v", tt.name, tt.in, err, tt.ok)
			continue
		}
		var ce *CharsetError
		if err != nil && errors.As(err, &ce) && ce.Offset != tt.offset {
			t.Errorf("%s %q: offset %d, want %d (%v)", tt.name, tt.in, ce.Offset, tt.offset, err)
		}
	}
}

func TestScopes(t *testing.T) {
	if err := CheckScope("read write"); err != nil {
		t.Error(err)
	}
	for _, bad := range []string{"", "read  write", " read", "read\twrite", `re"ad`} {
		if CheckScope(bad) == nil {
			t.Errorf("CheckScope(%q) passed", bad)
		}
	}
	tests := []struct {
		a, b         string
		same, subset bool
	}{
		{"read write", "write read", true, true},
		{"read", "read write", false, true},
		{"read write", "read", false, false},
		{"read  read", "read", true, true},
		{"", "", true, true},
		{"", "read", false, true},
		{"Read", "read", false, false},
	}
	for _, tt := range tests {
		if got := SameScopes(tt.a, tt.b); got != tt.same {
			t.Errorf("SameScopes(%q, %q) = %v", tt.a, tt.b, got)
		}
		if got := SubsetScopes(tt.a, tt.b); got != tt.subset {
			t.Errorf("SubsetScopes(%q, %q) = %v", tt.a, tt.b, got)
		}
	}
	if s := ScopeSet(" b a b "); len(s) != 2 || !s["a"] || !s["b"] {
		t.Errorf("ScopeSet = %v", s)
	}
}
