package harness

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
)

func TestKindOf(t *testing.T) {
	tests := []struct {
		v    any
		want JSONKind
		ints bool // IsKind(v, KindInteger)
	}{
		{"x", KindString, false},
		{"", KindString, false},
		{json.Number("3600"), KindNumber, true},
		{json.Number("-1"), KindNumber, true},
		{json.Number("0"), KindNumber, true},
		{json.Number("3600.0"), KindNumber, false},
		{json.Number("36e2"), KindNumber, false},
		{json.Number("3600.5"), KindNumber, false},
		{json.Number("-"), KindNumber, false},
		{json.Number(""), KindNumber, false},
		{float64(3600), KindNumber, true},
		{3600.5, KindNumber, false},
		{true, KindBoolean, false},
		{[]any{}, KindArray, false},
		{map[string]any{}, KindObject, false},
		{nil, KindNull, false},
		{42, "", false}, // an int is no decoded JSON value
	}
	for _, tt := range tests {
		if got := KindOf(tt.v); got != tt.want {
			t.Errorf("KindOf(%#v) = %q, want %q", tt.v, got, tt.want)
		}
		if tt.want != "" && !IsKind(tt.v, tt.want) {
			t.Errorf("IsKind(%#v, %q) = false", tt.v, tt.want)
		}
		if got := IsKind(tt.v, KindInteger); got != tt.ints {
			t.Errorf("IsKind(%#v, integer) = %v, want %v", tt.v, got, tt.ints)
		}
	}
	if IsKind("3600", KindNumber) || IsKind(json.Number("1"), KindString) || IsKind(nil, KindObject) {
		t.Error("IsKind matched another kind")
	}
}

func TestDescribe(t *testing.T) {
	tests := []struct {
		v    any
		want string
	}{
		{"bearer", `a string ("bearer")`},
		{"", "an empty string"},
		{strings.Repeat("é", 40), `a string ("` + strings.Repeat("é", 30) + `"…, 80 bytes)`},
		{json.Number("3600"), "a number (3600)"},
		{false, "a boolean (false)"},
		{[]any{1, 2}, "an array of 2"},
		{map[string]any{"a": 1}, "an object"},
		{nil, "null"},
		{42, "int"},
	}
	for _, tt := range tests {
		if got := Describe(tt.v); got != tt.want {
			t.Errorf("Describe(%#v) = %q, want %q", tt.v, got, tt.want)
		}
	}
}

func TestLenientJSONObject(t *testing.T) {
	m, err := LenientJSONObject([]byte(`{"a":1,"a":"x"}`))
	if err != nil || m["a"] != "x" {
		t.Errorf("duplicates: %v, %v", m, err)
	}
	for _, body := range []string{``, `[]`, `{"a":1} {}`, `{"a":`, `null`} {
		if m, err := LenientJSONObject([]byte(body)); err == nil || m != nil {
			t.Errorf("LenientJSONObject(%q) = %v, %v; want an error", body, m, err)
		}
	}
}

func TestCheckMember(t *testing.T) {
	tests := []struct {
		body string
		name string
		kind JSONKind
		want string // error text; "" for none
	}{
		{`{"expires_in":3600}`, "expires_in", KindInteger, ""},
		{`{"expires_in":3600}`, "expires_in", KindNumber, ""},
		{`{"expires_in":3600.5}`, "expires_in", KindInteger, "expires_in is a number (3600.5), want an integer"},
		{`{"expires_in":"3600"}`, "expires_in", KindNumber, `expires_in is a string ("3600"), want a number`},
		{`{"scope":["a","b"]}`, "scope", KindString, "scope is an array of 2, want a string"},
		{`{"a":true}`, "a", KindBoolean, ""},
		{`{"a":{}}`, "a", KindObject, ""},
		{`{"a":null}`, "a", KindObject, "a is null, want an object"},
		{`{"a":[]}`, "a", KindArray, ""},
		{`{"a":1,"a":"x"}`, "a", KindString, ""}, // duplicates: the last wins
		{`{"b":1}`, "a", KindString, "no a member"},
		{`<html>`, "a", KindString, "body is not JSON"},
		{``, "a", KindString, "body is empty"},
		{`["a"]`, "a", KindString, "body is JSON but not an object"},
	}
	for _, tt := range tests {
		_, err := CheckMember([]byte(tt.body), tt.name, tt.kind)
		switch {
		case tt.want == "" && err != nil:
			t.Errorf("CheckMember(%s, %s, %s): %v", tt.body, tt.name, tt.kind, err)
		case tt.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tt.want)):
			t.Errorf("CheckMember(%s, %s, %s) = %v, want %q", tt.body, tt.name, tt.kind, err, tt.want)
		}
	}
	v, err := CheckMember([]byte(`{"n":1}`), "n", KindInteger)
	if err != nil || v != json.Number("1") {
		t.Errorf("value: %v, %v", v, err)
	}
}

func TestCheckNonEmptyString(t *testing.T) {
	tests := []struct{ body, want, err string }{
		{`{"token_type":"Bearer"}`, "Bearer", ""},
		{`{"token_type":""}`, "", "token_type is an empty string, want a non-empty string"},
		{`{"token_type":1}`, "", "token_type is a number (1), want a string"},
		{`{}`, "", "no token_type member"},
	}
	for _, tt := range tests {
		got, err := CheckNonEmptyString([]byte(tt.body), "token_type")
		if got != tt.want || (err == nil) != (tt.err == "") || err != nil && err.Error() != tt.err {
			t.Errorf("CheckNonEmptyString(%s) = %q, %v; want %q, %q", tt.body, got, err, tt.want, tt.err)
		}
	}
}

func TestCheckErrorMember(t *testing.T) {
	tests := []struct {
		body  string
		codes []string
		code  string
		err   string
	}{
		{`{"error":"invalid_request"}`, nil, "invalid_request", ""},
		{`{"error":"invalid_request"}`, []string{"invalid_grant", "invalid_request"}, "invalid_request", ""},
		{`{"error":"invalid_grant"}`, []string{"invalid_request"}, "invalid_grant", `error "invalid_grant", want invalid_request`},
		{`{"error":"x"}`, []string{"a", "b"}, "x", `error "x", want a or b`},
		{`{"error":""}`, nil, "", "error is an empty string, want a non-empty string"},
		{`{"error":400}`, nil, "", "error is a number (400), want a string"},
		{`{"error_description":"bad"}`, nil, "", "no error member"},
		{`Bad Request`, nil, "", "body is not JSON: invalid character 'B' looking for beginning of value"},
	}
	for _, tt := range tests {
		code, err := CheckErrorMember([]byte(tt.body), tt.codes...)
		if code != tt.code || (err == nil) != (tt.err == "") || err != nil && err.Error() != tt.err {
			t.Errorf("CheckErrorMember(%s, %q) = %q, %v; want %q, %q", tt.body, tt.codes, code, err, tt.code, tt.err)
		}
	}
	var ce *CodeError
	if _, err := CheckErrorMember([]byte(`{"error":"x"}`), "y"); !errors.As(err, &ce) || ce.Got != "x" {
		t.Errorf("want a *CodeError, got %v", err)
	}
}

func TestCheckOAuthError(t *testing.T) {
	tests := []struct {
		status int
		body   string
		codes  []string
		code   string
		err    string
	}{
		{400, `{"error":"invalid_request"}`, nil, "invalid_request", ""},
		{401, `{"error":"invalid_client"}`, []string{"invalid_client"}, "invalid_client", ""},
		{499, `{"error":"x"}`, nil, "x", ""},
		{200, `{"error":"invalid_request"}`, nil, "invalid_request", "status 200, want a 4xx error status"},
		{500, `{"error":"server_error"}`, nil, "server_error", "status 500, want a 4xx error status"},
		{500, `oops`, nil, "", "status 500, want a 4xx error status"},
		{400, `{"error":"invalid_grant"}`, []string{"invalid_request"}, "invalid_grant", `error "invalid_grant", want invalid_request`},
		{400, `{}`, nil, "", "no error member"},
	}
	for _, tt := range tests {
		code, err := CheckOAuthError(tt.status, []byte(tt.body), tt.codes...)
		if code != tt.code || (err == nil) != (tt.err == "") || err != nil && err.Error() != tt.err {
			t.Errorf("CheckOAuthError(%d, %s, %q) = %q, %v; want %q, %q", tt.status, tt.body, tt.codes, code, err, tt.code, tt.err)
		}
	}
}

func TestErrorCodeOf(t *testing.T) {
	for _, tt := range []struct {
		name string
		ex   *Exchange
		want string
	}{
		{"no exchange", nil, ""},
		{"no body", &Exchange{Status: 400}, ""},
		{"error", &Exchange{Body: []byte(`{"error":"invalid_grant","error_description":"x"}`)}, "invalid_grant"},
		{"no error member", &Exchange{Body: []byte(`{"access_token":"t"}`)}, ""},
		{"empty error", &Exchange{Body: []byte(`{"error":""}`)}, ""},
		{"non-string error", &Exchange{Body: []byte(`{"error":400}`)}, ""},
		{"null error", &Exchange{Body: []byte(`{"error":null}`)}, ""},
		{"duplicate: the last wins", &Exchange{Body: []byte(`{"error":"a","error":"b"}`)}, "b"},
		{"an array", &Exchange{Body: []byte(`[{"error":"a"}]`)}, ""},
		{"null", &Exchange{Body: []byte(`null`)}, ""},
		{"not JSON", &Exchange{Body: []byte(`<html>error=invalid_grant</html>`)}, ""},
		{"truncated", &Exchange{Body: []byte(`{"error":"invalid_gr`)}, ""},
		{"a transport error", &Exchange{Err: errors.New("reset")}, ""},
	} {
		if got := ErrorCodeOf(tt.ex); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}
