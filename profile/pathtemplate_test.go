package profile

import (
	"maps"
	"testing"
)

func TestMatchPath(t *testing.T) {
	for _, tc := range []struct {
		tmpl, path string
		vars       map[string]string
		ok         bool
	}{
		{"/client-id/{client_id}/customers", "/client-id/abc/customers", map[string]string{"client_id": "abc"}, true},
		{"/client-id/{client_id}/customers/{id}", "/client-id/abc/customers/7", map[string]string{"client_id": "abc", "id": "7"}, true},
		{"/client-id/{client_id}/customers", "/client-id//customers", nil, false}, // empty segment
		{"/client-id/{client_id}/customers", "/client-id/abc/customers/", nil, false},
		{"/client-id/{client_id}/customers", "/client-id/abc/orders", nil, false},
		{"/static", "/static", map[string]string{}, true},
		{"/{}", "/x", nil, false}, // "{}" is a literal segment
		{"/a/{}", "/a/{}", map[string]string{}, true},
		{"/a/{x}", "/a/1/2", nil, false},
	} {
		vars, ok := MatchPath(tc.tmpl, tc.path)
		if ok != tc.ok || ok && !maps.Equal(vars, tc.vars) {
			t.Errorf("MatchPath(%q, %q) = %v, %v; want %v, %v", tc.tmpl, tc.path, vars, ok, tc.vars, tc.ok)
		}
	}
}

func TestExpandPath(t *testing.T) {
	got := ExpandPath("/client-id/{client_id}/customers/{id}", func(n string) string { return "<" + n + ">" })
	if want := "/client-id/<client_id>/customers/<id>"; got != want {
		t.Errorf("ExpandPath = %q, want %q", got, want)
	}
	if vars, ok := MatchPath("/a/{x}", ExpandPath("/a/{x}", func(string) string { return "v" })); !ok || vars["x"] != "v" {
		t.Errorf("an expanded template does not match itself: %v %v", vars, ok)
	}
}
