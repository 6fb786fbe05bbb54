package suites

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/target"
)

func init() {
	engine.Register(engine.Group{ID: "TOK-PW", Title: "resource owner password credentials grant", Specs: passwordSpecs})
}

// pwSetup skips unless the target offers the password grant and a resource
// owner, and returns the primary client and the user. The grant is optional
// (RFC 6749 §4.3; RFC 9700 §2.4 says it MUST NOT be used): a profile that
// enables it makes it part of the dialect's contract.
func pwSetup(c *engine.C) (*engine.Client, *target.User) {
	c.RequireGrant(profile.GrantPassword)
	cl := c.RequireClient(profile.RolePrimary)
	return cl, c.RequireUser()
}

// pwBruteForceAttempts is how many wrong passwords TOK-PW-005 sends.
const pwBruteForceAttempts = 20

// pwMaxRecoveryWait bounds how long TOK-PW-005 waits for a lockout to end.
const pwMaxRecoveryWait = 2 * time.Minute

func passwordSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "TOK-PW-001", Level: engine.MUST, Section: "RFC 6749 §4.3.2, §4.3.3; RFC 9700 §2.4",
		Requirement: "Where the password grant is offered, a request with valid resource owner credentials from an authenticated client MUST receive an access token."}, func(c *engine.C) {
		cl, u := pwSetup(c)
		ex := c.Env.Password(c, cl, u.Username, string(u.Password), c.Env.Scopes.S1)
		c.Tokens(ex, "password grant with the resource owner's credentials")
		c.Infof("the target offers the password grant, which RFC 9700 §2.4 says MUST NOT be used")
	})

	e.Assert(harness.Assertion{ID: "TOK-PW-002", Level: engine.MUST, Section: "RFC 6749 §4.3.2, §5.2",
		Requirement: "A wrong resource owner password MUST be refused with invalid_grant."}, func(c *engine.C) {
		cl, u := pwSetup(c)
		ex := c.Env.Password(c, cl, u.Username, "wrong-"+harness.RandomString(9), c.Env.Scopes.S1)
		c.Refused(ex, false, "invalid_grant")
	})

	e.Assert(harness.Assertion{ID: "TOK-PW-003", Level: engine.MUST, Section: "RFC 6749 §4.3.2, §5.2",
		Requirement: "A password grant request without username or without password (both REQUIRED) MUST be refused with invalid_request."}, func(c *engine.C) {
		cl, u := pwSetup(c)
		noPassword := c.Env.Password(c, cl, u.Username, "", c.Env.Scopes.S1)
		c.Refused(noPassword, false, "invalid_request")
		noUsername := c.Env.Password(c, cl, "", string(u.Password), c.Env.Scopes.S1)
		c.Refused(noUsername, false, "invalid_request")
	})

	e.Assert(harness.Assertion{ID: "TOK-PW-004", Level: engine.MUST, Section: "RFC 6749 §4.3.2, §3.2.1",
		Requirement: "The password grant MUST require client authentication for confidential clients: client_id without the secret is refused with invalid_client (or invalid_request)."}, func(c *engine.C) {
		cl, u := pwSetup(c)
		if cl.Public() {
			c.Skipf("the primary client is public: it has no credentials to leave out")
		}
		form := url.Values{"grant_type": {"password"}, "username": {u.Username}, "password": {string(u.Password)}, "client_id": {cl.ID}}
		if s := c.Env.Scopes.S1; s != "" {
			form.Set("scope", s)
		}
		ex := c.Env.Token(c, nil, form)
		c.Refused(ex, false, "invalid_client", "invalid_request")
	})

	e.Assert(harness.Assertion{ID: "TOK-PW-005", Level: engine.SHOULD, Section: "RFC 6749 §4.3.2, §10.7",
		Requirement: "The password grant MUST be protected against brute force attacks; protection visible from outside (throttling, Retry-After, lockout, delay) is recorded, its absence warned about."}, func(c *engine.C) {
		cl, u := pwSetup(c)
		var first time.Duration
		for i := 1; i <= pwBruteForceAttempts; i++ {
			ex := c.Env.Password(c, cl, u.Username, "wrong-"+harness.RandomString(9), "")
			if ex.Err != nil {
				c.Infof("after %d wrong passwords the request failed at the transport level (blocked?): %v", i, ex.Err)
				pwRecover(c, cl, u, 0)
				return
			}
			if engine.Issued(ex) {
				c.Skipf("a wrong password was accepted (attempt %d): TOK-PW-002's business", i)
			}
			if i == 1 {
				first = ex.Duration
			}
			code := harness.ErrorCodeOf(ex)
			retry := ex.Header.Get("Retry-After")
			slow := ex.Duration > first+time.Second && ex.Duration > 3*first
			if ex.Status == 429 || retry != "" || code != "invalid_grant" || slow {
				c.Infof("throttled after %d wrong passwords: status %d, error %q, Retry-After %q, %s (first attempt %s)",
					i, ex.Status, code, retry, ex.Duration.Round(time.Millisecond), first.Round(time.Millisecond))
				pwRecover(c, cl, u, pwRetryAfter(retry))
				return
			}
		}
		ok := c.Env.Password(c, cl, u.Username, string(u.Password), "")
		if !engine.Issued(ok) {
			c.Infof("after %d wrong passwords the correct one is refused too (status %d, error %q): a lockout", pwBruteForceAttempts, ok.Status, harness.ErrorCodeOf(ok))
			pwRecover(c, cl, u, pwRetryAfter(ok.Header.Get("Retry-After")))
			return
		}
		c.Warnf(engine.Exchanges(ok), "no visible brute-force protection: %d consecutive wrong passwords for %q were each answered invalid_grant without delay, and the correct password still works (RFC 6749 §4.3.2; alerting alone would be invisible from here)", pwBruteForceAttempts, u.Username)
	}, Label(engine.LabelIntrusive))
}

// pwRecover waits out a lockout (at most pwMaxRecoveryWait) so that later
// specs can log the user in, and records whether the user is usable again.
func pwRecover(c *engine.C, cl *engine.Client, u *target.User, wait time.Duration) {
	if wait <= 0 {
		wait = 30 * time.Second
	}
	if wait > pwMaxRecoveryWait {
		c.Infof("the lockout lasts %s, longer than this run waits: %q may stay locked for later specs", wait, u.Username)
		return
	}
	if err := c.Env.Wait(c, wait+time.Second, "for the lockout of "+strconv.Quote(u.Username)+" to end"); err != nil {
		return
	}
	ex := c.Env.Password(c, cl, u.Username, string(u.Password), "")
	if engine.Issued(ex) {
		c.Infof("after waiting %s the correct password works again", wait)
		return
	}
	c.Infof("after waiting %s the correct password is still refused (status %d, error %q): %q may stay locked for later specs", wait, ex.Status, harness.ErrorCodeOf(ex), u.Username)
}

// pwRetryAfter reads a Retry-After header given in seconds (RFC 9110 §10.2.3);
// an HTTP date or garbage gives 0.
func pwRetryAfter(v string) time.Duration {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil || n < 0 {
		return 0
	}
	return time.Duration(n) * time.Second
}
