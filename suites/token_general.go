package suites

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/steps"
)

func init() {
	engine.Register(engine.Group{ID: "TOK-GEN", Title: "transport, method and request encoding", Specs: func(e *engine.Env) {
		tokenGeneralSpecs(e)
		genDialectSpecs(e)
	}})
}

// genLoopbackHost reports whether host names the local machine.
func genLoopbackHost(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

const genSkipLoopbackHTTP = "loopback plain-http target (allow-insecure-loopback)"

// genTokenURL parses the token endpoint URL or fails the spec.
func genTokenURL(c *engine.C) *url.URL {
	u, err := url.Parse(c.Env.Endpoints.Token)
	if err != nil || u.Host == "" {
		c.Failf(nil, "the token endpoint URL %q is not an absolute URL: %v", c.Env.Endpoints.Token, err)
	}
	return u
}

func tokenGeneralSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "TOK-GEN-001", Level: engine.MUST, Section: "RFC 6749 §1.6, §3.2, §10.9",
		Requirement: "The token endpoint MUST require TLS: a token request sent over plain HTTP MUST NOT yield tokens."}, func(c *engine.C) {
		primary := c.RequireClient(profile.RolePrimary)
		u := genTokenURL(c)
		switch u.Scheme {
		case "https":
		case "http":
			if genLoopbackHost(u.Hostname()) {
				c.Skipf(genSkipLoopbackHTTP)
			}
			form, what := steps.CodeBaseline(c, primary)
			ex := c.Env.Token(c, primary, form)
			c.Must(!engine.Issued(ex), ex, "the token endpoint %s is plain HTTP on a non-loopback host and issued tokens (%s): tokens and credentials cross the network in clear", u.Redacted(), what)
			c.Saw("the configured token endpoint is plain HTTP but refused the request (status %d, error %q)", ex.Status, harness.ErrorCodeOf(ex))
			return
		default:
			c.Skipf("the token endpoint URL has scheme %q, neither https nor http", u.Scheme)
		}

		plain := *u
		plain.Scheme = "http"
		if u.Port() == "443" {
			plain.Host = genBracketHost(u.Hostname())
		}
		// Probe without credentials first: only an endpoint that answers
		// token requests over plain HTTP gets the credentialed request.
		var probeOpts []harness.RequestOption
		if h := c.Env.APIKeyHeader(); h != "" {
			probeOpts = append(probeOpts, harness.WithoutHeader(h))
		}
		probe := c.Env.HTTP.PostForm(c, plain.String(), url.Values{"grant_type": {profile.GrantClientCredentials}}, probeOpts...)
		switch {
		case probe.Err != nil:
			c.Saw("the plain-HTTP form %s refused the connection: %v", plain.Redacted(), probe.Err)
			return
		case engine.Issued(probe):
			c.Failf(engine.Exchanges(probe), "the plain-HTTP form of the token endpoint issued tokens, even without client authentication")
		case probe.Status >= 300 && probe.Status < 400:
			c.Saw("the plain-HTTP form redirects (status %d to %s)", probe.Status, harness.RedactURL(probe.Location()))
			return
		case harness.ErrorCodeOf(probe) == "":
			mt := probe.MediaType()
			if mt == "" {
				mt = "no media type"
			}
			c.Saw("the plain-HTTP form does not answer as a token endpoint (status %d, %s)", probe.Status, mt)
			return
		}
		// The real credentials never cross plain HTTP: a placeholder secret
		// shows whether the endpoint processes token requests there (it
		// authenticates the client: invalid_client, or passes on to the
		// grant), which is what RFC 6749 §3.2 forbids.
		form, what := steps.CodeBaseline(c, primary)
		plainEnv := *c.Env
		plainEnv.Endpoints.Token = plain.String()
		fake := *primary
		if !fake.Public() {
			fake.Secret = "oauthconform-placeholder-" + profile.Secret(harness.RandomString(9))
		}
		ex := plainEnv.Token(c, &fake, form)
		c.Must(!engine.Issued(ex), ex, "the token endpoint issued tokens (%s) over plain HTTP at %s", what, plain.Redacted())
		switch code := harness.ErrorCodeOf(ex); code {
		case "invalid_client", "invalid_grant", "unauthorized_client", "invalid_scope", "unsupported_grant_type":
			c.Failf(engine.Exchanges(probe, ex), "the token endpoint processes token requests over plain HTTP at %s (it answered %q to a placeholder client secret): it must require TLS (RFC 6749 §3.2)", plain.Redacted(), code)
		}
		c.Saw("the plain-HTTP form answers OAuth errors but does not process the request (status %d, error %q)", ex.Status, harness.ErrorCodeOf(ex))
	})

	e.Assert(harness.Assertion{ID: "TOK-GEN-002", Level: engine.MUST, Section: "RFC 6749 §10.9; RFC 8996; RFC 9325; RFC 9700 §2.6",
		Requirement: "The token endpoint's TLS certificate MUST be valid for its host; TLS 1.2 or later SHOULD be negotiated and TLS 1.0/1.1 SHOULD be refused (BCP 195)."}, func(c *engine.C) {
		u := genTokenURL(c)
		if u.Scheme != "https" {
			if genLoopbackHost(u.Hostname()) {
				c.Skipf(genSkipLoopbackHTTP)
			}
			c.Skipf("the token endpoint is plain HTTP, so there is no TLS to check (TOK-GEN-001 judges a plain-HTTP endpoint)")
		}
		host := u.Hostname()
		addr := u.Host
		if u.Port() == "" {
			addr = net.JoinHostPort(host, "443")
		}
		// The configured trust: the system roots, or the harness's own
		// (ca_file, an embedded mock's test CA). Insecure skips verification
		// for the other requests, never for this check.
		trust := c.Env.HTTP.TLSConfig()
		trustName := "the system roots"
		if trust.RootCAs != nil {
			trustName = "the harness's trusted CAs (ca_file, or the embedded mock's test CA)"
		}
		var verr *tls.CertificateVerificationError
		var herr x509.HostnameError
		badCert := func(err error) {
			if !errors.As(err, &verr) && !errors.As(err, &herr) {
				return
			}
			if trust.InsecureSkipVerify {
				// Declared untrusted (--insecure): the tester knows the
				// certificate does not verify; only the protocol versions
				// are judged.
				c.Saw("the certificate of %s does not verify (%v); the target is declared insecure", addr, err)
				return
			}
			c.Failf(nil, "the certificate of %s is not valid for the host %q with %s: %v", addr, host, trustName, err)
		}
		cs, err := genTLSHandshake(c, addr, &tls.Config{ServerName: host, RootCAs: trust.RootCAs, MinVersion: tls.VersionTLS12})
		badCert(err)
		if err == nil {
			leaf := cs.PeerCertificates[0]
			c.Saw("negotiated %s; certificate for %s issued by %q, valid until %s, validated with %s",
				tls.VersionName(cs.Version), host, leaf.Issuer.CommonName, leaf.NotAfter.Format(time.DateOnly), trustName)
		} else {
			// No TLS 1.2 or 1.3: the certificate is judged on an older
			// version (the crypto/tls client offers 1.0/1.1 only when asked).
			_, oldErr := genTLSHandshake(c, addr, &tls.Config{ServerName: host, RootCAs: trust.RootCAs, MinVersion: tls.VersionTLS10, MaxVersion: tls.VersionTLS11})
			badCert(oldErr)
			c.Must(oldErr == nil, nil, "no TLS handshake with %s succeeded: %v", addr, err)
			c.Warnf(nil, "%s negotiates no TLS 1.2 or 1.3 (%v), only an older version", addr, err)
		}
		for _, v := range []uint16{tls.VersionTLS11, tls.VersionTLS10} {
			cs, err := genTLSHandshake(c, addr, &tls.Config{ServerName: host, MinVersion: v, MaxVersion: v,
				InsecureSkipVerify: true}) //nolint:gosec // probes the protocol version only
			if err == nil {
				c.Warnf(nil, "%s accepts %s, which BCP 195 (RFC 8996) deprecates", addr, tls.VersionName(cs.Version))
			} else {
				c.Saw("%s refused a %s handshake", addr, tls.VersionName(v))
			}
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-GEN-003", Level: engine.MUST, Section: "RFC 6749 §3.2, §4.4.2",
		Requirement: "The token endpoint MUST accept an access token request made with HTTP POST and a form-encoded body, as in RFC 6749's own examples (which send no Accept header)."}, func(c *engine.C) {
		primary := c.RequireClient(profile.RolePrimary)
		form, what := steps.CodeBaseline(c, primary)
		ex := c.Env.Token(c, primary, form, harness.WithoutHeader("Accept"))
		c.Tokens(ex, "POST "+what+" without an Accept header")
	})

	e.Assert(harness.Assertion{ID: "TOK-GEN-004", Level: engine.SHOULD, Section: "RFC 6749 §3.2, §2.3.1",
		Requirement: "The token endpoint SHOULD NOT issue tokens for a GET request with the parameters in the query (RFC 6749 §3.2 binds the client to POST; a server answering GET is not clearly non-compliant)."}, func(c *engine.C) {
		primary := c.RequireClient(profile.RolePrimary)
		form, what := steps.CodeBaseline(c, primary)
		ex := c.Env.Token(c, primary, form, harness.WithMethod(http.MethodGet))
		if engine.Issued(ex) {
			c.Warnf(engine.Exchanges(ex), "GET with the %s parameters in the query issued tokens", what)
			return
		}
		if ex.Err != nil {
			c.Saw("GET failed at the transport level: %v", ex.Err)
			return
		}
		c.Saw("GET refused with status %d", ex.Status)
	})

	e.Assert(harness.Assertion{ID: "TOK-GEN-005", Level: engine.SHOULD, Section: "RFC 6749 §2.3.1",
		Requirement: "Client credentials sent in the request URI SHOULD NOT be honoured: the request is refused with invalid_client or invalid_request (RFC 6749 §2.3.1 forbids clients to send them there)."}, func(c *engine.C) {
		primary := c.RequireClient(profile.RolePrimary)
		if primary.Public() {
			c.Skipf("the primary client is public: it has no credentials to put in the request URI")
		}
		form, what := steps.CodeBaseline(c, primary)
		q := url.Values{"client_id": {primary.ID}, "client_secret": {string(primary.Secret)}}
		ex := c.Env.Token(c, nil, form, harness.WithQuery(q))
		if engine.Issued(ex) {
			c.Warnf(engine.Exchanges(ex), "the server honoured client_id and client_secret in the request URI (%s)", what)
			return
		}
		c.Refused(ex, true, "invalid_client", "invalid_request")
	})

	e.Assert(harness.Assertion{ID: "TOK-GEN-006", Level: engine.SHOULD, Section: "RFC 6749 §4.1.3, §4.3.2, §4.4.2, App. B",
		Requirement: "A form-encoded token request whose Content-Type carries the parameter charset=UTF-8 SHOULD be accepted (RFC 6749 App. B makes the body UTF-8; clients commonly say so, though no sentence requires accepting the parameter)."}, func(c *engine.C) {
		primary := c.RequireClient(profile.RolePrimary)
		form, what := steps.CodeBaseline(c, primary)
		ex := c.Env.Token(c, primary, form, harness.WithHeader("Content-Type", "application/x-www-form-urlencoded; charset=UTF-8"))
		c.Tokens(ex, what+" with Content-Type application/x-www-form-urlencoded; charset=UTF-8")
	})

	e.Assert(harness.Assertion{ID: "TOK-GEN-007", Level: engine.MUST, Section: "RFC 6749 §3.2",
		Requirement: "The token endpoint MUST ignore unrecognized request parameters."}, func(c *engine.C) {
		primary := c.RequireClient(profile.RolePrimary)
		form, what := steps.CodeBaseline(c, primary)
		form.Set("foo", "bar")
		form.Set("x_unknown", "1")
		ex := c.Env.Token(c, primary, form)
		c.Tokens(ex, what+" with the extra parameters foo=bar and x_unknown=1")
	})

	e.Assert(harness.Assertion{ID: "TOK-GEN-008", Level: engine.MUST, Section: "RFC 6749 §3.2, §3.3",
		Requirement: "A request parameter sent without a value MUST be treated as if it were omitted: scope= gets the same outcome as no scope."}, func(c *engine.C) {
		primary := c.RequireClient(profile.RolePrimary)
		omitted, what := steps.CodeBaseline(c, primary)
		omitted.Del("scope")
		exOmitted := c.Env.Token(c, primary, omitted)
		empty, _ := steps.CodeBaseline(c, primary)
		empty.Set("scope", "")
		exEmpty := c.Env.Token(c, primary, empty)
		ev := engine.Exchanges(exOmitted, exEmpty)
		okOmitted, okEmpty := engine.Issued(exOmitted), engine.Issued(exEmpty)
		switch {
		case okOmitted && !okEmpty:
			c.Failf(ev, "%s without scope succeeds but with an empty scope= is refused (%q): the empty value was treated as a literal scope", what, harness.ErrorCodeOf(exEmpty))
		case !okOmitted && okEmpty:
			c.Failf(ev, "%s with an empty scope= succeeds but without scope is refused (%q): the empty value is not treated as omitted", what, harness.ErrorCodeOf(exOmitted))
		case okOmitted:
			s1, has1 := engine.Body(exOmitted)["scope"].(string)
			s2, has2 := engine.Body(exEmpty)["scope"].(string)
			if has1 && has2 {
				c.Must(harness.SameScopes(s1, s2), exEmpty, "an empty scope= was granted %q, but omitting scope was granted %q", s2, s1)
			}
			c.Saw("both forms succeeded (granted scope %q)", s1)
		default:
			// Both refused: each must be a real refusal (no answer or a
			// server error is not the same outcome as anything).
			c.NotIssued(exOmitted, what+" without scope")
			c.NotIssued(exEmpty, what+" with scope=")
			e1, e2 := harness.ErrorCodeOf(exOmitted), harness.ErrorCodeOf(exEmpty)
			if e1 == "" || e2 == "" {
				c.Failf(ev, "a refusal is not an OAuth error response (error %q without scope, %q with scope=)", e1, e2)
			}
			if e1 != e2 {
				c.Warnf(ev, "both forms were refused, but with different errors: %q without scope, %q with scope=", e1, e2)
			}
			c.Saw("both forms were refused (%q, %q)", e1, e2)
		}
	})

	e.Assert(harness.Assertion{ID: "TOK-GEN-009", Level: engine.SHOULD, Section: "RFC 6749 §3.2, §5.2",
		Requirement: "A token request repeating a parameter SHOULD be refused with invalid_request, above all when the values differ (RFC 6749 §3.2 forbids clients to repeat parameters; no sentence binds the server, so a server taking the first value only warns)."}, func(c *engine.C) {
		primary := c.RequireClient(profile.RolePrimary)
		type dupCase struct {
			name   string
			form   url.Values
			differ bool
		}
		var cases []dupCase
		form, what := steps.CodeBaseline(c, primary)
		a := engine.CloneValues(form)
		a["grant_type"] = []string{what, what}
		cases = append(cases, dupCase{"(a) grant_type twice with the same value", a, false})
		if what == profile.GrantClientCredentials {
			if s2 := c.Env.Scopes.S2; s2 != "" {
				b, _ := steps.CodeBaseline(c, primary)
				b["scope"] = []string{c.Env.Scopes.S1, s2}
				cases = append(cases, dupCase{"(b) scope twice with different values", b, true})
			}
			cc, _ := steps.CodeBaseline(c, primary)
			cc["grant_type"] = []string{profile.GrantPassword, profile.GrantClientCredentials}
			cases = append(cases, dupCase{"(c) grant_type=password&grant_type=client_credentials", cc, true})
		} else {
			b, _ := steps.CodeBaseline(c, primary)
			b["code"] = []string{"oauthconform-not-a-code-" + harness.RandomString(8), b.Get("code")}
			cases = append(cases, dupCase{"(b) code twice: an invalid one, then a valid one", b, true})
			cc, _ := steps.CodeBaseline(c, primary)
			cc["grant_type"] = []string{profile.GrantRefreshToken, profile.GrantAuthorizationCode}
			cases = append(cases, dupCase{"(c) grant_type=refresh_token&grant_type=authorization_code", cc, true})
		}
		for _, k := range cases {
			ex := c.Env.Token(c, primary, k.form)
			if !k.differ && engine.Issued(ex) {
				c.Warnf(engine.Exchanges(ex), "%s: accepted (RFC 6749 §3.2: parameters MUST NOT be included more than once)", k.name)
				continue
			}
			if engine.Issued(ex) {
				c.Failf(engine.Exchanges(ex), "%s: the server issued tokens for conflicting values", k.name)
			}
			c.Refused(ex, true, "invalid_request")
		}
	})
}

// genDialectSpecs are the dialect's own token request rules: the seeds
// depart from RFC 6749 in the body encoding (seed 001 sends JSON) and the
// default grant type (seed 001 defaults to client_credentials).
func genDialectSpecs(e *engine.Env) {
	e.Assert(harness.Assertion{ID: "TOK-GEN-010", Level: engine.MUST, Section: "dialect (fixtures/profiles/merchant-customer.yaml); RFC 6749 §3.2",
		Requirement: "Where the dialect requires JSON request bodies, a token request sent as an application/json object MUST be processed like the same request form-encoded."}, func(c *engine.C) {
		if !slices.Contains(c.Env.Dialect.TokenRequest.Encodings, profile.EncodingJSON) {
			c.Skipf("the %s dialect does not require JSON bodies (RFC 6749 §3.2: form-encoded)", c.Env.Dialect.Name)
		}
		primary := c.RequireClient(profile.RolePrimary)
		form, what := steps.CodeBaseline(c, primary)
		form = c.Env.TokenDefaults(form)
		opts := engine.ClientAuth(primary, form)
		obj := map[string]string{}
		for k := range form {
			obj[k] = form.Get(k)
		}
		ex := c.Env.HTTP.Do(c, http.MethodPost, c.Env.Endpoints.Token, append([]harness.RequestOption{harness.WithJSON(obj), harness.WithHeader("Accept", "application/json")}, opts...)...)
		c.Tokens(ex, what+" as a JSON body")
	})

	e.Assert(harness.Assertion{ID: "TOK-GEN-011", Level: engine.MUST, Section: "dialect (fixtures/profiles/merchant-customer.yaml); RFC 6749 §4.4.2",
		Requirement: "Where the dialect defines a default grant_type, a token request without grant_type MUST be processed as that grant."}, func(c *engine.C) {
		def := c.Env.Dialect.TokenRequest.DefaultGrantType
		if def == "" {
			c.Skipf("the %s dialect has no default grant_type (RFC 6749 makes it REQUIRED: TOK-ERR-008)", c.Env.Dialect.Name)
		}
		if def != profile.GrantClientCredentials {
			c.Skipf("only a client_credentials default can be exercised without a grant of its own (the dialect's is %s)", def)
		}
		primary := steps.ClientCredentialsClient(c)
		form := url.Values{}
		if s := c.Env.Scopes.S1; s != "" {
			form.Set("scope", s)
		}
		c.Tokens(c.Env.Token(c, primary, form), "a token request without grant_type (the dialect's default is "+def+")")
	})
}

// genBracketHost writes an IPv6 literal in brackets for a URL host.
func genBracketHost(h string) string {
	if strings.Contains(h, ":") {
		return "[" + h + "]"
	}
	return h
}

// genTLSHandshake dials addr and completes a TLS handshake with conf.
func genTLSHandshake(ctx context.Context, addr string, conf *tls.Config) (tls.ConnectionState, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d := tls.Dialer{NetDialer: &net.Dialer{}, Config: conf}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return tls.ConnectionState{}, fmt.Errorf("TLS handshake with %s: %w", addr, err)
	}
	defer conn.Close()
	return conn.(*tls.Conn).ConnectionState(), nil
}
