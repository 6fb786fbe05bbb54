package suites

import (
	"fmt"
	"net/url"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/match"
	"github.com/oauthconform/oauthconform/suites/steps"
)

func init() {
	engine.Register(engine.Group{ID: "TOK-ERR", Title: "token error responses", Specs: tokenErrorSpecs})
}

// errSamples provokes the error responses that TOK-ERR-001…006 apply to:
// an unsupported grant type, a missing grant_type, an invalid grant, an
// unknown scope and a failed client authentication, as far as the target
// offers them. A request that succeeds anyway (a scope ignored, a dialect's
// default grant type) is left out: whether it should have failed is another
// spec's question.
func errSamples(c *engine.C) []steps.Sample {
	e := c.Env
	primary := c.RequireClient(profile.RolePrimary)
	var out []steps.Sample
	keep := func(what string, ex *harness.Exchange) {
		if ex.Err == nil && !engine.Issued(ex) {
			out = append(out, steps.Sample{What: what, Ex: ex})
		}
	}
	keep("unsupported grant_type", e.Token(c, primary, url.Values{"grant_type": {"urn:example:not-a-grant"}}))
	if e.Dialect.TokenRequest.DefaultGrantType == "" {
		form := url.Values{}
		if e.Scopes.S1 != "" {
			form.Set("scope", e.Scopes.S1)
		}
		keep("missing grant_type", e.Token(c, primary, form))
	}
	bogus := "oauthconform-invalid-" + harness.RandomString(12)
	switch {
	case e.HasGrant(profile.GrantAuthorizationCode):
		form := url.Values{"grant_type": {profile.GrantAuthorizationCode}, "code": {bogus}}
		if r := primary.RedirectURI(); r != "" {
			form.Set("redirect_uri", r)
		}
		keep("unknown authorization code", e.Token(c, primary, form))
	case e.HasGrant(profile.GrantRefreshToken):
		keep("unknown refresh token", e.Refresh(c, primary, bogus, ""))
	case e.HasGrant(profile.GrantPassword) && e.User != nil:
		keep("wrong resource owner password", e.Password(c, primary, e.User.Username, bogus, ""))
	}
	if e.HasGrant(profile.GrantClientCredentials) && !primary.Public() {
		keep("unknown scope", e.ClientCredentials(c, primary, "zz-unknown-scope"))
	}
	// A grant the server offers, so that client authentication is what
	// fails.
	form := url.Values{"grant_type": {e.Dialect.GrantTypes.Allowed[0]}}
	switch {
	case e.ClientCredentialsWork(c, primary):
		form.Set("grant_type", profile.GrantClientCredentials)
	case e.HasGrant(profile.GrantAuthorizationCode):
		form.Set("grant_type", profile.GrantAuthorizationCode)
		form.Set("code", bogus)
		if r := primary.RedirectURI(); r != "" {
			form.Set("redirect_uri", r)
		}
	}
	if !primary.Public() && primary.Method == profile.AuthBasic {
		keep("wrong client secret (HTTP Basic)", e.Token(c, nil, form, harness.WithBasicAuth(primary.ID, "wrong-"+harness.RandomString(9))))
	} else {
		form.Set("client_id", "oauthconform-unknown-"+harness.RandomString(6))
		keep("unknown client_id", e.Token(c, nil, form))
	}
	if len(out) == 0 {
		c.Skipf("no request provoked an error response to check")
	}
	return out
}

// errObject decodes an error body leniently about repeated members
// (TOK-RESP-010 is about those); nil when the body is no JSON object.
func errObject(ex *harness.Exchange) map[string]any {
	m, _ := harness.LenientJSONObject(ex.Body)
	return m
}

func tokenErrorSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "TOK-ERR-001", Level: engine.MUST, Section: "RFC 6749 §5.2",
		Requirement: "A token error response MUST use status 400 (Bad Request), except that invalid_client MAY use 401."}, func(c *engine.C) {
		for _, s := range errSamples(c) {
			code := harness.ErrorCodeOf(s.Ex)
			statuses := []int{400}
			if code == "invalid_client" {
				statuses = append(statuses, 401)
			}
			c.Expect(s.Ex, match.HaveStatus(statuses...), fmt.Sprintf("%s: error %q", s.What, code))
			c.Saw("%s: %d %s", s.What, s.Ex.Status, code)
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-ERR-002", Level: engine.MUST, Section: "RFC 6749 §5.2",
		Requirement: "A token error response MUST use the application/json media type and be a JSON object with a string error member."}, func(c *engine.C) {
		for _, s := range errSamples(c) {
			c.Expect(s.Ex, match.HaveMediaType("application/json"), s.What)
			c.Expect(s.Ex, match.HaveErrorCode(), s.What)
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-ERR-003", Level: engine.MUST, Section: "RFC 6749 §5.2, App. A.7",
		Requirement: "The error code MUST use only the characters %x20-21 / %x23-5B / %x5D-7E."}, func(c *engine.C) {
		checked := 0
		for _, s := range errSamples(c) {
			code, isString := errObject(s.Ex)["error"].(string)
			if !isString {
				continue // TOK-ERR-002's business
			}
			checked++
			err := harness.CheckErrorCode(code)
			c.Must(err == nil, s.Ex, "%s: %v", s.What, err)
		}
		if checked == 0 {
			c.Skipf("no error response carried a string error member (TOK-ERR-002 reports it)")
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-ERR-004", Level: engine.MUST, Section: "RFC 6749 §5.2, App. A.8",
		Requirement: "error_description, when present, MUST be a string using only the characters %x20-21 / %x23-5B / %x5D-7E (TAB, CR and LF only warn, as in the OpenID conformance suite; --strict fails them)."}, func(c *engine.C) {
		eachErrMember(c, "error_description", func(s steps.Sample, d string) {
			err := harness.CheckErrorDescription(d)
			if err == nil {
				return
			}
			stripped := strings.NewReplacer("\t", "", "\r", "", "\n", "").Replace(d)
			c.Must(harness.CheckErrorDescription(stripped) == nil, s.Ex, "%s: %v", s.What, err)
			c.Warnf(engine.Exchanges(s.Ex), "%s: %v (TAB, CR or LF)", s.What, err)
		})
	})

	e.Assert(harness.Assertion{ID: "TOK-ERR-005", Level: engine.MUST, Section: "RFC 6749 §5.2, App. A.9",
		Requirement: "error_uri, when present, MUST be a URI-reference using only the characters %x21 / %x23-5B / %x5D-7E."}, func(c *engine.C) {
		eachErrMember(c, "error_uri", func(s steps.Sample, u string) {
			err := harness.CheckErrorURI(u)
			c.Must(err == nil, s.Ex, "%s: %v", s.What, err)
		})
	})

	e.Assert(harness.Assertion{ID: "TOK-ERR-006", Level: harness.LevelInfo, Section: "RFC 6749 §5.2",
		Requirement: "Observation only: whether token error responses carry Cache-Control: no-store (RFC 6749 shows it in an example; nothing requires it)."}, func(c *engine.C) {
		for _, s := range errSamples(c) {
			c.Infof("%s: no-store %v (Cache-Control %q, Pragma %q)", s.What,
				harness.HasDirective(s.Ex.Header.Values("Cache-Control"), "no-store"), s.Ex.Header.Values("Cache-Control"), s.Ex.Header.Values("Pragma"))
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-ERR-007", Level: engine.MUST, Section: "RFC 6749 §5.2",
		Requirement: "A grant type the server does not support MUST be refused with unsupported_grant_type."}, func(c *engine.C) {
		primary := c.RequireClient(profile.RolePrimary)
		ex := c.Env.Token(c, primary, url.Values{"grant_type": {"urn:example:not-a-grant"}})
		c.Refused(ex, false, "unsupported_grant_type")
	})

	e.Assert(harness.Assertion{ID: "TOK-ERR-008", Level: engine.MUST, Section: "RFC 6749 §4.1.3, §4.3.2, §4.4.2, §6, §5.2",
		Requirement: "A token request without the REQUIRED grant_type MUST be refused with invalid_request (unsupported_grant_type only warns)."}, func(c *engine.C) {
		if d := c.Env.Dialect.TokenRequest.DefaultGrantType; d != "" {
			c.Skipf("the %s dialect defaults grant_type to %s (token_request.default_grant_type): a request without grant_type succeeding is the dialect", c.Env.Dialect.Name, d)
		}
		primary := c.RequireClient(profile.RolePrimary)
		form := url.Values{}
		if s1 := c.Env.Scopes.S1; s1 != "" {
			form.Set("scope", s1)
		}
		ex := c.Env.Token(c, primary, form)
		c.Must(ex.Err == nil, ex, "the request failed at the transport level: %v", ex.Err)
		c.Must(!engine.Issued(ex), ex, "a request without grant_type issued tokens")
		if harness.ErrorCodeOf(ex) == "unsupported_grant_type" {
			c.Warnf(engine.Exchanges(ex), "a missing grant_type answered unsupported_grant_type; invalid_request is the code for a missing required parameter")
			return
		}
		c.Expect(ex, match.HaveErrorCode("invalid_request"), "a missing grant_type")
	})

	e.Assert(harness.Assertion{ID: "TOK-ERR-009", Level: engine.MUST, Section: "RFC 6749 §5.2",
		Requirement: "A client using a grant type it is not authorized for MUST NOT get tokens, and SHOULD be refused with unauthorized_client (a restricted client asking for client_credentials)."}, func(c *engine.C) {
		c.RequireGrant(profile.GrantClientCredentials)
		cr := steps.ConfidentialClient(c, profile.RoleRestricted)
		ex := c.Env.ClientCredentials(c, cr, "")
		c.Refused(ex, true, "unauthorized_client")
	})
}

// eachErrMember calls check with each error response's member name, a
// string when present (errStringMember), and skips when no response
// carried it.
func eachErrMember(c *engine.C, name string, check func(s steps.Sample, v string)) {
	checked := 0
	for _, s := range errSamples(c) {
		v, present := errStringMember(c, s, name)
		if !present {
			continue
		}
		checked++
		check(s, v)
	}
	if checked == 0 {
		c.Skipf("no error response carried %s: nothing to check", name)
	}
}

// errStringMember returns an optional member of an error body, failing the
// spec when it is present but not a JSON string.
func errStringMember(c *engine.C, s steps.Sample, name string) (string, bool) {
	raw, present := errObject(s.Ex)[name]
	if !present {
		return "", false
	}
	c.Expect(s.Ex, match.HaveJSONMember(name, harness.KindString), s.What)
	return raw.(string), true
}
