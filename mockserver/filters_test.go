package mockserver

import (
	"fmt"
	"testing"
)

// TestEveryQuirkActs: each quirk is a response filter (filterTable) or a
// rule override (newRules changes with it alone), so that nothing else in
// the mock needs to know its name.
func TestEveryQuirkActs(t *testing.T) {
	strict := fmt.Sprintf("%+v", newRules(quirkSet{}))
	filtered := map[Quirk]bool{}
	for _, e := range filterTable {
		filtered[e.quirk] = true
	}
	for q := Quirk(0); q < numQuirks; q++ {
		var s quirkSet
		s.add(q)
		if !filtered[q] && fmt.Sprintf("%+v", newRules(s)) == strict {
			t.Errorf("quirk %s is neither a response filter nor a rule override", q)
		}
	}
	if len(newResponseFilters(quirkSet{})[respTokenSuccess]) != 0 {
		t.Error("a provider without quirks has response filters")
	}
}

// TestMembersRoundTrip: the filters see the writers' JSON members as they
// are and write them back byte for byte.
func TestMembersRoundTrip(t *testing.T) {
	for _, body := range []string{
		`{"access_token":"a.b-c_d~é","token_type":"Bearer","expires_in":3600,"refresh_token":"r","scope":"read write","id_token":"x.y.z"}`,
		`{"error":"invalid_request","error_description":"requête \"invalide\" \u003c"}`,
		`{"active":true,"scope":"read","exp":1,"aud":["a","b"],"x":{"y":[1,2]}}`,
		`{"token_type":"Bearer","token_type":"Bearer"}`,
		`{}`,
	} {
		if got := string(joinMembers(splitMembers([]byte(body)))); got != body {
			t.Errorf("round trip of %s gives %s", body, got)
		}
	}
}

// TestAddKeepsIDTokenLast: a member a filter adds goes before the id_token
// that ends an OpenID Connect token response, where the writer put its own.
func TestAddKeepsIDTokenLast(t *testing.T) {
	rs := &response{members: splitMembers([]byte(`{"access_token":"a","id_token":"i"}`))}
	rs.add("x_issued_by", []byte(`"oauthconform"`))
	if got, want := string(joinMembers(rs.members)), `{"access_token":"a","x_issued_by":"oauthconform","id_token":"i"}`; got != want {
		t.Errorf("got %s, want %s", got, want)
	}
}
