package suites

import (
	"net/url"
	"slices"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/drivers"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/steps"
)

func init() {
	engine.Register(engine.Group{ID: "AUTHZ-IMP", Title: "implicit grant via /authorize (response_type=token)", Specs: implicitSpecs})
}

// impClient skips unless the dialect offers the implicit grant, and returns
// the client that asks for it.
func impClient(c *engine.C) *engine.Client {
	cl := steps.BrowserClient(c)
	if s, why := c.Env.ResponseType(profile.ResponseToken); s == engine.Absent {
		c.Skipf("%s (the implicit grant is optional, RFC 6749 §4.2)", why)
	}
	return cl
}

// impRequest is an implicit grant request of cl.
func impRequest(c *engine.C, cl *engine.Client, state string) drivers.AuthzRequest {
	req := steps.CodeFlowRequest(c, cl, state)
	req.Query.Set("response_type", "token")
	req.Query.Del("code_challenge")
	req.Query.Del("code_challenge_method")
	req.Verifier = ""
	return req
}

// impTokens runs a valid implicit request and returns where the access token
// came back (fragment or query), or skips when none did: whether a refusal
// is acceptable is AUTHZ-IMP-001's question.
func impTokens(c *engine.C, cl *engine.Client, state string) (*drivers.AuthzResult, url.Values, string) {
	res := steps.RequireFlow(c, impRequest(c, cl, state))
	switch {
	case res.Fragment.Get("access_token") != "":
		return res, res.Fragment, "fragment"
	case res.Query.Get("access_token") != "":
		return res, res.Query, "query"
	}
	e, _ := steps.ResultError(res)
	c.Skipf("the implicit request yielded no access token (%s, error %q): the target does not issue implicit tokens (see AUTHZ-IMP-001)", steps.DescribeEnd(res), e)
	return nil, nil, ""
}

// impResponseParams are the parameters of an implicit grant response.
var impResponseParams = []string{"access_token", "token_type", "expires_in", "scope", "state", "refresh_token"}

func implicitSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "AUTHZ-IMP-001", Level: engine.MUST, Section: "RFC 6749 §4.2, §4.2.2, §4.1.2.1; RFC 9700 §2.1.2",
		Requirement: "Supporting the implicit grant is optional, but a response_type=token request MUST be answered with an access token, or refused (unsupported_response_type or unauthorized_client, or an error page), never with an authorization code."}, func(c *engine.C) {
		cl := impClient(c)
		res := steps.RequireFlow(c, impRequest(c, cl, harness.RandomString(16)))
		code, _ := steps.ResultCode(res)
		errCode, _ := steps.ResultError(res)
		switch {
		case steps.IssuedToken(res):
			c.Saw("issues implicit grant tokens")
			c.Infof("the implicit grant is supported; RFC 9700 §2.1.2 says clients SHOULD NOT use it")
		case code != "":
			c.Failf(res.Exchanges, "a response_type=token request was answered with an authorization code")
		case errCode == "unsupported_response_type" || errCode == "unauthorized_client":
			c.Saw("refuses the implicit grant with %s", errCode)
		case errCode != "":
			c.Warnf(res.Exchanges, "refused the implicit grant with error %q instead of unsupported_response_type or unauthorized_client", errCode)
		case res.Redirect != nil:
			c.Failf(res.Exchanges, "the server sent the user back to the client with neither tokens nor an error")
		default:
			c.Saw("refuses the implicit grant with %s", steps.DescribeEnd(res))
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-IMP-002", Level: engine.MUST, Section: "RFC 6749 §4.2.2, §5.1",
		Requirement: "An implicit grant response MUST carry access_token, token_type (Bearer, any case) and state in the fragment, none of them in the query; expires_in is RECOMMENDED."}, func(c *engine.C) {
		cl := impClient(c)
		// The state AUTHZ-RESP-002 uses: a fragment is easy to mis-encode.
		state := steps.NastyState
		res, _, where := impTokens(c, cl, state)
		ev := steps.LastExchange(res)
		c.Must(where == "fragment", ev, "the access token is in the query of %s, not the fragment", steps.DescribeEnd(res))
		for _, k := range impResponseParams {
			c.Must(!res.Query.Has(k), ev, "the implicit response has %s in the query", k)
		}
		f := res.Fragment
		c.Must(strings.EqualFold(f.Get("token_type"), "bearer"), ev, "token_type %q is not Bearer (any case)", f.Get("token_type"))
		c.Must(f.Get("state") == state, ev, "the fragment has state %q; the request had %q", f.Get("state"), state)
		if !f.Has("expires_in") {
			c.Warnf(res.Exchanges, "expires_in is absent from the implicit response (RECOMMENDED)")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-IMP-003", Level: engine.MUST, Section: "RFC 6749 §4.2.2",
		Requirement: "The implicit grant MUST NOT issue a refresh token."}, func(c *engine.C) {
		cl := impClient(c)
		res, _, _ := impTokens(c, cl, harness.RandomString(16))
		c.Must(!res.Fragment.Has("refresh_token") && !res.Query.Has("refresh_token"), steps.LastExchange(res),
			"the implicit response carries a refresh_token")
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-IMP-004", Level: engine.MUST, Section: "RFC 6749 §4.2.2.1",
		Requirement: "Implicit grant error responses MUST put error and state in the fragment, not the query."}, func(c *engine.C) {
		cl := impClient(c)
		badScope := impRequest(c, cl, harness.RandomString(16))
		badScope.Query.Set("scope", steps.UnknownScope)
		deny := impRequest(c, cl, harness.RandomString(16))
		deny.Deny = true
		checked := 0
		for _, req := range []drivers.AuthzRequest{badScope, deny} {
			res, _, ok := steps.TryFlow(c, req)
			if !ok {
				continue
			}
			errCode, _ := steps.ResultError(res)
			if errCode == "" {
				continue // a page, or not refused: other specs judge that
			}
			if (errCode == "unsupported_response_type" || errCode == "unauthorized_client") && res.Fragment.Get("access_token") == "" {
				// A server without the implicit grant does not treat the
				// request as an implicit one: where it puts the error is
				// not RFC 6749 §4.2.2.1's business.
				c.Skipf("the server does not issue implicit grant tokens (answered %s): its error placement for implicit requests cannot be judged", errCode)
			}
			checked++
			ev := steps.LastExchange(res)
			c.Must(!res.Query.Has("error") && !res.Query.Has("state"), ev, "the implicit error response puts its parameters in the query")
			c.Must(res.Fragment.Has("error"), ev, "the implicit error response has no error in the fragment")
			c.Saw("error %s in the fragment", res.Fragment.Get("error"))
		}
		if checked == 0 {
			c.Skipf("no implicit error response was observed (errors were shown as pages, or not produced)")
		}
	})

	e.Assert(harness.Assertion{ID: "AUTHZ-IMP-005", Level: engine.MUST, Section: "RFC 6749 §4.2.2, App. A.14",
		Requirement: "expires_in in the implicit grant response, when present, MUST be a string of digits (1*DIGIT)."}, func(c *engine.C) {
		cl := impClient(c)
		res, where, _ := impTokens(c, cl, harness.RandomString(16))
		v, present := where["expires_in"]
		if !present {
			c.Saw("no expires_in (AUTHZ-IMP-002 warns)")
			return
		}
		ok := len(v) == 1 && v[0] != "" && !slices.ContainsFunc([]byte(v[0]), func(b byte) bool { return b < '0' || b > '9' })
		c.Must(ok, steps.LastExchange(res), "expires_in is %q, not 1*DIGIT", v)
	})
}
