package match

import (
	"errors"
	"net/http"
	"strings"
	"testing"

	"github.com/onsi/gomega"
	"github.com/onsi/gomega/types"

	"github.com/oauthconform/oauthconform/suites/harness"
)

// resp builds an answered exchange; headers are name, value pairs (a name
// repeated sends several lines).
func resp(status int, body string, headers ...string) *harness.Exchange {
	h := http.Header{}
	for i := 0; i+1 < len(headers); i += 2 {
		h.Add(headers[i], headers[i+1])
	}
	return &harness.Exchange{Method: "POST", URL: "https://as.example/token", Status: status, Header: h, Body: []byte(body)}
}

const jsonCT = "application/json"

type matcherCase struct {
	name    string
	m       types.GomegaMatcher
	ex      *harness.Exchange
	match   bool
	message string // FailureMessage when !match, NegatedFailureMessage when match
}

func run(t *testing.T, tests []matcherCase) {
	t.Helper()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ok, err := tt.m.Match(tt.ex)
			if err != nil {
				t.Fatalf("Match: %v", err)
			}
			if ok != tt.match {
				t.Errorf("Match = %v, want %v", ok, tt.match)
			}
			msg := tt.m.FailureMessage(tt.ex)
			if tt.match {
				msg = tt.m.NegatedFailureMessage(tt.ex)
			}
			if msg != tt.message {
				t.Errorf("message\n got %q\nwant %q", msg, tt.message)
			}
			if strings.Contains(msg, "\n") {
				t.Errorf("message spans several lines: %q", msg)
			}
		})
	}
}

func TestHaveStatus(t *testing.T) {
	run(t, []matcherCase{
		{"200", HaveStatus(200), resp(200, ""), true, "status 200, want a status other than 200"},
		{"201", HaveStatus(200), resp(201, ""), false, "status 201, want 200"},
		{"401 of two", HaveStatus(400, 401), resp(401, ""), true, "status 401, want a status other than 400 or 401"},
		{"500 of two", HaveStatus(400, 401), resp(500, ""), false, "status 500, want 400 or 401"},
	})
	defer func() {
		if recover() == nil {
			t.Error("HaveStatus() did not panic")
		}
	}()
	HaveStatus()
}

func TestHaveMediaType(t *testing.T) {
	run(t, []matcherCase{
		{"exact", HaveMediaType(jsonCT), resp(200, "", "Content-Type", jsonCT), true, `Content-Type "application/json", want a media type other than application/json`},
		{"charset and case", HaveMediaType(jsonCT), resp(200, "", "Content-Type", "Application/JSON; charset=UTF-8"), true, `Content-Type "Application/JSON; charset=UTF-8", want a media type other than application/json`},
		{"wanted in upper case", HaveMediaType("Application/Json"), resp(200, "", "Content-Type", jsonCT), true, `Content-Type "application/json", want a media type other than Application/Json`},
		{"text/plain", HaveMediaType(jsonCT), resp(200, "", "Content-Type", "text/plain; charset=utf-8"), false, `Content-Type "text/plain; charset=utf-8", want application/json`},
		{"suffix type", HaveMediaType(jsonCT), resp(200, "", "Content-Type", "application/problem+json"), false, `Content-Type "application/problem+json", want application/json`},
		{"absent", HaveMediaType(jsonCT), resp(200, ""), false, "no Content-Type, want application/json"},
	})
}

func TestHaveHeaderDirective(t *testing.T) {
	run(t, []matcherCase{
		{"alone", HaveHeaderDirective("Cache-Control", "no-store"), resp(200, "", "Cache-Control", "no-store"), true, `Cache-Control "no-store" has the no-store directive`},
		{"among others, any case", HaveHeaderDirective("Cache-Control", "no-store"), resp(200, "", "Cache-Control", "private, No-Store, max-age=0"), true, `Cache-Control "private, No-Store, max-age=0" has the no-store directive`},
		{"second line", HaveHeaderDirective("Cache-Control", "no-store"), resp(200, "", "Cache-Control", "private", "Cache-Control", "no-store"), true, `Cache-Control "private", "no-store" has the no-store directive`},
		{"other directives", HaveHeaderDirective("Cache-Control", "no-store"), resp(200, "", "Cache-Control", "no-cache, private"), false, `Cache-Control "no-cache, private" has no no-store directive`},
		{"a longer name", HaveHeaderDirective("Cache-Control", "no-store"), resp(200, "", "Cache-Control", "no-storex"), false, `Cache-Control "no-storex" has no no-store directive`},
		{"absent", HaveHeaderDirective("Pragma", "no-cache"), resp(200, ""), false, "no Pragma header, want the no-cache directive"},
		{"empty", HaveHeaderDirective("Pragma", "no-cache"), resp(200, "", "Pragma", ""), false, `Pragma "" has no no-cache directive`},
		{"pragma", HaveHeaderDirective("Pragma", "no-cache"), resp(200, "", "Pragma", "no-cache"), true, `Pragma "no-cache" has the no-cache directive`},
	})
}

func TestHaveErrorCode(t *testing.T) {
	run(t, []matcherCase{
		{"any code", HaveErrorCode(), resp(400, `{"error":"invalid_request"}`), true, `error "invalid_request", want no OAuth error`},
		{"one of", HaveErrorCode("invalid_grant", "invalid_request"), resp(400, `{"error":"invalid_request"}`), true, `error "invalid_request", want an error other than invalid_grant or invalid_request`},
		{"status not looked at", HaveErrorCode("invalid_request"), resp(500, `{"error":"invalid_request"}`), true, `error "invalid_request", want an error other than invalid_request`},
		{"other code", HaveErrorCode("invalid_request"), resp(400, `{"error":"unsupported_grant_type"}`), false, `error "unsupported_grant_type", want invalid_request`},
		{"no error member", HaveErrorCode(), resp(400, `{"message":"bad"}`), false, "no error member"},
		{"not a string", HaveErrorCode(), resp(400, `{"error":{"code":1}}`), false, "error is an object, want a string"},
		{"empty", HaveErrorCode(), resp(400, `{"error":""}`), false, "error is an empty string, want a non-empty string"},
		{"no JSON", HaveErrorCode(), resp(400, `<h1>Bad</h1>`, "Content-Type", "text/html"), false, `body is not JSON: invalid character '<' looking for beginning of value (Content-Type "text/html")`},
		{"empty body", HaveErrorCode(), resp(400, ``), false, `body is empty, not a JSON object (no Content-Type)`},
		{"repeated members", HaveErrorCode("b"), resp(400, `{"error":"a","error":"b"}`), true, `error "b", want an error other than b`},
	})
}

func TestBeOAuthError(t *testing.T) {
	run(t, []matcherCase{
		{"400", BeOAuthError(), resp(400, `{"error":"invalid_request"}`), true, `status 400 with error "invalid_request", want no OAuth error`},
		{"401 invalid_client", BeOAuthError("invalid_client"), resp(401, `{"error":"invalid_client"}`), true, `status 401 with error "invalid_client", want an error other than invalid_client`},
		{"200", BeOAuthError(), resp(200, `{"error":"invalid_request"}`), false, `status 200, want a 4xx error status (error "invalid_request")`},
		{"500 garbage", BeOAuthError(), resp(500, `oops`), false, `status 500, want a 4xx error status (no OAuth error body)`},
		{"other code", BeOAuthError("invalid_grant"), resp(400, `{"error":"invalid_request"}`), false, `status 400: error "invalid_request", want invalid_grant`},
		{"no error member", BeOAuthError(), resp(400, `{}`), false, "status 400: no error member"},
		{"no JSON", BeOAuthError(), resp(400, `Bad Request`, "Content-Type", "text/plain"), false, `status 400: body is not JSON: invalid character 'B' looking for beginning of value (Content-Type "text/plain")`},
	})
}

func TestHaveJSONMember(t *testing.T) {
	run(t, []matcherCase{
		{"integer", HaveJSONMember("expires_in", harness.KindInteger), resp(200, `{"expires_in":3600}`), true, "expires_in is a number (3600), want anything but an integer"},
		{"fraction", HaveJSONMember("expires_in", harness.KindInteger), resp(200, `{"expires_in":3600.5}`), false, "expires_in is a number (3600.5), want an integer"},
		{"string for number", HaveJSONMember("expires_in", harness.KindNumber), resp(200, `{"expires_in":"3600"}`), false, `expires_in is a string ("3600"), want a number`},
		{"string", HaveJSONMember("scope", harness.KindString), resp(200, `{"scope":"a b"}`), true, `scope is a string ("a b"), want anything but a string`},
		{"array for string", HaveJSONMember("scope", harness.KindString), resp(200, `{"scope":["a","b"]}`), false, "scope is an array of 2, want a string"},
		{"boolean", HaveJSONMember("active", harness.KindBoolean), resp(200, `{"active":true}`), true, "active is a boolean (true), want anything but a boolean"},
		{"string for boolean", HaveJSONMember("active", harness.KindBoolean), resp(200, `{"active":"true"}`), false, `active is a string ("true"), want a boolean`},
		{"array", HaveJSONMember("keys", harness.KindArray), resp(200, `{"keys":[]}`), true, "keys is an array of 0, want anything but an array"},
		{"object", HaveJSONMember("cnf", harness.KindObject), resp(200, `{"cnf":{"jkt":"x"}}`), true, "cnf is an object, want anything but an object"},
		{"null for object", HaveJSONMember("cnf", harness.KindObject), resp(200, `{"cnf":null}`), false, "cnf is null, want an object"},
		{"absent", HaveJSONMember("expires_in", harness.KindInteger), resp(200, `{}`), false, "no expires_in member"},
		{"not an object", HaveJSONMember("a", harness.KindString), resp(200, `["a"]`, "Content-Type", jsonCT), false, `body is JSON but not an object (starts with [) (Content-Type "application/json")`},
		{"trailing data", HaveJSONMember("a", harness.KindString), resp(200, `{"a":"x"} {}`, "Content-Type", jsonCT), false, `body holds more than one JSON value (Content-Type "application/json")`},
		{"repeated members", HaveJSONMember("a", harness.KindString), resp(200, `{"a":1,"a":"x"}`), true, `a is a string ("x"), want anything but a string`},
	})
}

func TestHaveNonEmptyString(t *testing.T) {
	run(t, []matcherCase{
		{"present", HaveNonEmptyString("token_type"), resp(200, `{"token_type":"Bearer"}`), true, `token_type is a string ("Bearer"), want anything but a non-empty string`},
		{"empty", HaveNonEmptyString("token_type"), resp(200, `{"token_type":""}`), false, "token_type is an empty string, want a non-empty string"},
		{"number", HaveNonEmptyString("token_type"), resp(200, `{"token_type":1}`), false, "token_type is a number (1), want a string"},
		{"absent", HaveNonEmptyString("token_type"), resp(200, `{"access_token":"x"}`), false, "no token_type member"},
		{"no JSON", HaveNonEmptyString("token_type"), resp(200, `access_token=x&token_type=bearer`, "Content-Type", "application/x-www-form-urlencoded"), false, `body is not JSON: invalid character 'a' looking for beginning of value (Content-Type "application/x-www-form-urlencoded")`},
	})
}

// TestNoResponse: an exchange without a response, a nil one or another
// value is an error, for a matcher and its negation alike.
func TestNoResponse(t *testing.T) {
	matchers := map[string]types.GomegaMatcher{
		"HaveStatus":          HaveStatus(200),
		"HaveMediaType":       HaveMediaType(jsonCT),
		"HaveHeaderDirective": HaveHeaderDirective("Cache-Control", "no-store"),
		"HaveErrorCode":       HaveErrorCode(),
		"BeOAuthError":        BeOAuthError(),
		"HaveJSONMember":      HaveJSONMember("a", harness.KindString),
		"HaveNonEmptyString":  HaveNonEmptyString("a"),
	}
	actuals := []struct {
		name   string
		actual any
		want   string
	}{
		{"transport error", &harness.Exchange{Err: errors.New("connection refused")}, "no response: connection refused"},
		{"nil exchange", (*harness.Exchange)(nil), "match: no exchange (nil)"},
		{"other type", "200", "match: the actual value is string, not a *harness.Exchange"},
	}
	for name, m := range matchers {
		for _, a := range actuals {
			ok, err := m.Match(a.actual)
			if ok || err == nil || err.Error() != a.want {
				t.Errorf("%s on %s: Match = %v, %v; want an error %q", name, a.name, ok, err, a.want)
			}
			if got := m.FailureMessage(a.actual); got != a.want {
				t.Errorf("%s on %s: FailureMessage = %q", name, a.name, got)
			}
			if got := m.NegatedFailureMessage(a.actual); got != a.want {
				t.Errorf("%s on %s: NegatedFailureMessage = %q", name, a.name, got)
			}
		}
	}
}

// TestWithGomega: the matchers work with gomega.Expect and fail with their
// own one-line message, not Gomega's dump of the exchange.
func TestWithGomega(t *testing.T) {
	var failures []string
	g := gomega.NewGomega(func(message string, _ ...int) { failures = append(failures, message) })
	ex := resp(400, `{"error":"invalid_grant"}`, "Content-Type", jsonCT, "Cache-Control", "no-store")
	g.Expect(ex).To(BeOAuthError("invalid_grant"))
	g.Expect(ex).To(HaveMediaType(jsonCT))
	g.Expect(ex).NotTo(HaveStatus(200))
	if len(failures) != 0 {
		t.Fatalf("failures on a match: %q", failures)
	}
	g.Expect(ex).To(HaveStatus(200))
	g.Expect(ex).NotTo(HaveHeaderDirective("Cache-Control", "no-store"))
	g.Expect(&harness.Exchange{Err: errors.New("timeout")}).NotTo(HaveStatus(200))
	want := []string{
		"status 400, want 200",
		`Cache-Control "no-store" has the no-store directive`,
		"no response: timeout",
	}
	if len(failures) != len(want) {
		t.Fatalf("failures %q, want %q", failures, want)
	}
	for i := range want {
		if !strings.Contains(failures[i], want[i]) || strings.Contains(failures[i], "<*harness.Exchange") {
			t.Errorf("failure %d: %q, want %q without a dump", i, failures[i], want[i])
		}
	}
}
