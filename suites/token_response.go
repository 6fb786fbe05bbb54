package suites

import (
	"encoding/json"
	"errors"
	"math"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/match"
)

func init() {
	register(Group{ID: "TOK-RESP", Title: "successful token response", Specs: tokenResponseSpecs})
}

// sample is one successful token response of some grant.
type sample struct {
	what string
	ex   *harness.Exchange
}

// successSamples gathers a success response of every grant the target
// offers (client_credentials, password, authorization_code, refresh_token),
// since "OK-TOKEN" applies to each. A grant that does not succeed is left
// out: whether it should have is another spec's question.
func (c *C) successSamples() []sample {
	e := c.Env
	var out []sample
	var rt string
	keep := func(what string, ex *harness.Exchange) {
		if Issued(ex) {
			out = append(out, sample{what, ex})
			if r := Str(Body(ex), "refresh_token"); r != "" && rt == "" {
				rt = r
			}
		}
	}
	primary := e.Client(profile.RolePrimary)
	if primary != nil && e.ccWorks(c, primary) {
		keep("client_credentials", e.ClientCredentials(c, primary, e.Scopes.S1))
	}
	if primary != nil && e.User != nil && e.HasGrant(profile.GrantPassword) && clientGrant(primary, profile.GrantPassword) != Absent {
		keep("password", e.Password(c, primary, e.User.Username, string(e.User.Password), e.Scopes.S1))
	}
	if primary != nil && e.Driver != nil && e.HasGrant(profile.GrantAuthorizationCode) && clientGrant(primary, profile.GrantAuthorizationCode) != Absent {
		v := harness.NewVerifier()
		o := CodeOpts{Scope: e.Scopes.S1}
		if e.UsesPKCE() {
			o.Challenge, o.Method = harness.S256(v), "S256"
		} else {
			v = ""
		}
		if res, err := e.Driver.Authorize(c, AuthzRequest{Client: primary, Query: e.AuthzQuery(primary, "code", o)}); err == nil && res.Code() != "" {
			keep("authorization_code", e.ExchangeCode(c, primary, res.Code(), primary.RedirectURI(), v))
		}
	}
	if rt != "" && e.HasGrant(profile.GrantRefreshToken) {
		keep("refresh_token", e.Refresh(c, primary, rt, ""))
	}
	if len(out) == 0 {
		c.Skipf("no grant of the target produced a token response to check")
	}
	return out
}

func tokenResponseSpecs(e *Env) {
	e.Assert(harness.Assertion{ID: "TOK-RESP-001", Level: MUST, Section: "RFC 6749 §5.1",
		Requirement: "A successful token response MUST use status 200 (OK)."}, func(c *C) {
		for _, s := range c.successSamples() {
			c.Expect(s.ex, match.HaveStatus(200), s.what)
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-RESP-002", Level: MUST, Section: "RFC 6749 §5.1",
		Requirement: "A successful token response MUST use the application/json media type (parameters such as charset allowed)."}, func(c *C) {
		for _, s := range c.successSamples() {
			c.Expect(s.ex, match.HaveMediaType("application/json"), s.what)
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-RESP-003", Level: MUST, Section: "RFC 6749 §5.1",
		Requirement: "A response containing tokens MUST carry Cache-Control with the no-store directive."}, func(c *C) {
		for _, s := range c.successSamples() {
			c.Expect(s.ex, match.HaveHeaderDirective("Cache-Control", "no-store"), s.what)
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-RESP-004", Level: MUST, Section: "RFC 6749 §5.1",
		Requirement: "A response containing tokens MUST carry Pragma: no-cache."}, func(c *C) {
		for _, s := range c.successSamples() {
			c.Expect(s.ex, match.HaveHeaderDirective("Pragma", "no-cache"), s.what)
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-RESP-005", Level: MUST, Section: "RFC 6749 §5.1",
		Requirement: "The body MUST be a JSON object with non-empty string access_token and token_type; unknown members are ignored."}, func(c *C) {
		for _, s := range c.successSamples() {
			c.Expect(s.ex, match.HaveNonEmptyString("access_token"), s.what)
			c.Expect(s.ex, match.HaveNonEmptyString("token_type"), s.what)
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-RESP-012", Level: MUST, Section: "RFC 6749 §5.1; profile schema",
		Requirement: "A successful token response MUST validate against the profile's token response JSON Schema (the dialect's contract, e.g. oauth20-intents' closed schema)."}, func(c *C) {
		for _, s := range c.successSamples() {
			if errs := harness.Validate(c.Env.Dialect.TokenResponseSchema, s.ex.Body); len(errs) > 0 {
				c.Failf(exchanges(s.ex), "%s: the body does not match the %s dialect's schema %s: %s",
					s.what, c.Env.Dialect.Name, c.Env.Dialect.TokenResponseSchema, strings.Join(errs, "; "))
			}
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-RESP-006", Level: MUST, Section: "RFC 6749 App. A.12, A.17",
		Requirement: "access_token and refresh_token MUST consist of VSCHAR characters (%x20-7E) only."}, func(c *C) {
		for _, s := range c.successSamples() {
			m := Body(s.ex)
			for _, k := range []string{"access_token", "refresh_token"} {
				if v, ok := m[k].(string); ok {
					c.Must(harness.CheckVSChar(k, v) == nil, s.ex, "%s: %v", s.what, harness.CheckVSChar(k, v))
				}
			}
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-RESP-007", Level: MUST, Section: "RFC 6749 §5.1, §7.1; RFC 6750 §4",
		Requirement: "token_type MUST name the issued token's type, compared case-insensitively (Bearer, bearer and BEARER all pass): a token the protected resource accepts as a Bearer token is not another type."}, func(c *C) {
		for _, s := range c.successSamples() {
			tt := Str(Body(s.ex), "token_type")
			if strings.EqualFold(tt, "bearer") {
				c.Saw("%s: token_type %q", s.what, tt)
				continue
			}
			// RFC 6749 §7.1 allows other types, which this harness does
			// not use; it can only show a lie: a token the protected
			// resource accepts as Bearer.
			res := c.Env.Endpoints.Resource
			if res == "" {
				c.Skipf("%s: token_type %q: the harness uses Bearer tokens only, and without a protected resource it cannot tell whether the token is one", s.what, tt)
			}
			probe := c.Env.HTTP.Get(c, res, harness.WithAuthorization("Bearer "+Str(Body(s.ex), "access_token")))
			c.Must(probe.Err != nil || probe.Status < 200 || probe.Status >= 300, s.ex, "%s: token_type is %q, but the protected resource accepts the token as a Bearer token (RFC 6750 §4: token_type bearer)", s.what, tt)
			c.Skipf("%s: token_type %q, not accepted as a Bearer token: the harness uses Bearer tokens only", s.what, tt)
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-RESP-008", Level: MUST, Section: "RFC 6749 §5.1, App. A.14",
		Requirement: "expires_in, when present, MUST be a JSON number holding a non-negative integer; it is RECOMMENDED."}, func(c *C) {
		for _, s := range c.successSamples() {
			m, err := harness.DecodeJSONObject(s.ex.Body)
			var dup *harness.DuplicateKeyError
			if errors.As(err, &dup) {
				m = nil // TOK-RESP-010's business; fall back to lenient decoding
			}
			raw, present := m["expires_in"]
			if m == nil {
				raw, present = rawMember(s.ex.Body, "expires_in")
			}
			if !present {
				c.Warnf(exchanges(s.ex), "%s: expires_in is absent (RECOMMENDED)", s.what)
				continue
			}
			n, ok := raw.(json.Number)
			c.Must(ok, s.ex, "%s: expires_in is %T (%v), not a JSON number", s.what, raw, raw)
			i, err := n.Int64()
			c.Must(err == nil && i >= 0, s.ex, "%s: expires_in %s is not a non-negative integer", s.what, n)
			if i == 0 || i > 31536000 {
				c.Warnf(exchanges(s.ex), "%s: expires_in %d is 0 or over a year (milliseconds?)", s.what, i)
			}
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-RESP-009", Level: MUST, Section: "RFC 6749 §3.3, §5.1",
		Requirement: "When the granted scope differs from the requested one, the response MUST include scope; an unknown requested value is refused (invalid_scope) or left out of the reported grant."}, func(c *C) {
		primary := c.ccClient()
		req := joinScopes(c.Env.Scopes.S1, "zz-unknown-scope")
		ex := c.Env.ClientCredentials(c, primary, req)
		if !Issued(ex) {
			// Refusing is one lawful answer; TOK-CC-003 judges its code.
			c.NotIssued(ex, "the request with an unknown scope value")
			c.Must(Str(Body(ex), "error") != "", ex, "the refusal (status %d) is not an OAuth error response", ex.Status)
			c.Saw("refused the unknown scope with %q (status %d)", Str(Body(ex), "error"), ex.Status)
			return
		}
		c.requireClosedVocabulary("zz-unknown-scope")
		scope, present := Body(ex)["scope"].(string)
		c.Must(present, ex, "scope %q was requested, the server did not refuse the unknown value, and the response has no scope member: it claims the unknown value was granted", req)
		c.Must(!harness.ScopeSet(scope)["zz-unknown-scope"], ex, "the unknown scope value was granted (scope %q)", scope)
		c.Saw("ignored the unknown scope value and reported scope %q", scope)
	})

	e.Assert(harness.Assertion{ID: "TOK-RESP-010", Level: MUST, Section: "RFC 6749 §3.2",
		Requirement: "Response parameters MUST NOT be included more than once: the JSON object has no repeated member names."}, func(c *C) {
		for _, s := range c.successSamples() {
			_, err := harness.DecodeJSONObject(s.ex.Body)
			var dup *harness.DuplicateKeyError
			c.Must(!errors.As(err, &dup), s.ex, "%s: %v", s.what, err)
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-RESP-011", Level: SHOULD, Section: "RFC 6749 §10.10",
		Requirement: "Tokens MUST NOT be guessable (probability ≤ 2^-128): as seen from outside, at least 16 characters, about 96 bits of estimated entropy, and different on every issue."}, func(c *C) {
		samples := c.successSamples()
		seen := map[string]bool{}
		for _, s := range samples {
			for _, k := range []string{"access_token", "refresh_token"} {
				v := Str(Body(s.ex), k)
				if v == "" {
					continue
				}
				if bits := entropyBits(v); len(v) < 16 || bits < 96 {
					c.Warnf(exchanges(s.ex), "%s: %s looks guessable: %d characters, about %.0f bits of entropy", s.what, k, len(v), bits)
				}
				if k == "access_token" {
					c.Should(!seen[v], s.ex, "%s: the same access token was issued twice", s.what)
					seen[v] = true
				}
			}
		}
	})
}

// rawMember finds a member of a JSON object with numbers kept as
// json.Number, tolerating repeated names (the last wins).
func rawMember(body []byte, name string) (any, bool) {
	dec := json.NewDecoder(strings.NewReader(string(body)))
	dec.UseNumber()
	var m map[string]any
	if dec.Decode(&m) != nil {
		return nil, false
	}
	v, ok := m[name]
	return v, ok
}

// entropyBits estimates how many bits of randomness a token of this shape
// can hold, from the token alone. The token is read in the smallest common
// alphabet holding it (digits, hex, base32, base64url, printable): when it
// uses about as many distinct characters as random draws from that alphabet
// would, it is credited the alphabet's entropy per character (25 random
// base32 characters: 125 bits), since one short sample's Shannon entropy
// underestimates a random token's; otherwise (a repetitive or counter-like
// token) its Shannon entropy with the Miller–Madow correction. It cannot
// prove randomness, only flag its absence.
func entropyBits(s string) float64 {
	if s == "" {
		return 0
	}
	counts := map[rune]float64{}
	n := 0.0
	for _, r := range s {
		counts[r]++
		n++
	}
	h := 0.0
	for _, c := range counts {
		p := c / n
		h -= p * math.Log2(p)
	}
	k := alphabetSize(s)
	// As many distinct characters as n random draws from the alphabet
	// give (within four standard deviations): take the alphabet's entropy.
	q1, q2 := math.Pow(1-1/k, n), math.Pow(1-2/k, n)
	expect := k * (1 - q1)
	sd := math.Sqrt(math.Max(0, k*(k-1)*q2+k*q1-k*k*q1*q1))
	if float64(len(counts)) >= expect-4*sd {
		return math.Log2(k) * n
	}
	h += float64(len(counts)-1) / (2 * n * math.Ln2)
	return math.Min(h, math.Log2(k)) * n
}

// alphabetSize is the size of the smallest of the usual token alphabets
// that holds every character of s.
func alphabetSize(s string) float64 {
	in := func(set string) bool {
		for _, r := range s {
			if !strings.ContainsRune(set, r) {
				return false
			}
		}
		return true
	}
	const digits = "0123456789"
	switch {
	case in(digits):
		return 10
	case in(digits+"abcdef") || in(digits+"ABCDEF"):
		return 16
	case in("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567=") || in("abcdefghijklmnopqrstuvwxyz234567="):
		return 32
	case in(digits+"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz-_=.") || in(digits+"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz+/="):
		return 64
	}
	return 95
}
