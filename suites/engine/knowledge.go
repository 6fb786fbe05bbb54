package engine

import (
	"context"
	"fmt"
	"slices"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/harness"
)

// Support is what the harness knows of one capability of the target. Only
// what the dialect requires, the target declares or its metadata
// advertises is expected: a refusal of anything else is the server's lawful
// choice, and the specs that need it skip.
type Support int

// Levels of knowledge, weakest first.
const (
	// Unknown: nothing says; the specs try, and a refusal skips them.
	Unknown Support = iota
	// Absent: the target declares it lacks it, or the dialect has no such
	// thing; the specs skip.
	Absent
	// Advertised: the metadata lists it.
	Advertised
	// Declared: the target declares it, or the dialect requires it.
	Declared
)

// Expected reports whether a refusal of the capability is the server's
// fault.
func (s Support) Expected() bool { return s >= Advertised }

func (s Support) String() string {
	switch s {
	case Absent:
		return "absent"
	case Advertised:
		return "advertised"
	case Declared:
		return "declared"
	}
	return "unknown"
}

// support resolves one value of a kind from the dialect's set, the target's
// declared list (nil: undeclared) and the metadata member.
func (e *Env) support(set profile.Set, declared []string, member, v string) (Support, string) {
	// Name the kind too: "the target declares no token" would not say it
	// is the response type.
	field, kind := member, member
	switch member {
	case "grant_types_supported":
		field, kind = "grant_types", "grant type"
	case "response_types_supported":
		field, kind = "response_types", "response type"
	case "token_endpoint_auth_methods_supported":
		field, kind = "auth_methods", "client authentication method"
	}
	switch {
	case !set.Allows(v):
		return Absent, fmt.Sprintf("the %s dialect has no %s %s", e.Dialect.Name, kind, v)
	case set.Requires(v):
		return Declared, fmt.Sprintf("the %s dialect requires the %s %s", e.Dialect.Name, kind, v)
	case declared != nil && slices.Contains(declared, v):
		return Declared, fmt.Sprintf("the target declares the %s %s", kind, v)
	case declared != nil:
		return Absent, fmt.Sprintf("the target's %s do not include %s", field, v)
	}
	// Only a listed value counts: RFC 8414's default of an omitted member
	// is too weak a promise to fail a server on (META-003 judges it).
	if md := e.UsableMetadata(); md != nil {
		if vals, ok := md.Strings(member); ok && slices.Contains(vals, v) {
			return Advertised, fmt.Sprintf("the metadata advertises %s in %s", v, member)
		}
	}
	return Unknown, fmt.Sprintf("neither the dialect, the target nor its metadata says whether it offers %s", v)
}

// Grant says what is known of grant type g.
func (e *Env) Grant(g string) (Support, string) {
	var declared []string
	if e.Target != nil {
		declared = e.Target.GrantTypes
	}
	return e.support(e.Dialect.GrantTypes, declared, "grant_types_supported", g)
}

// HasGrant reports whether grant g may be offered (it is not known absent).
func (e *Env) HasGrant(g string) bool {
	s, _ := e.Grant(g)
	return s != Absent
}

// ResponseType says what is known of response type rt.
func (e *Env) ResponseType(rt string) (Support, string) {
	var declared []string
	if e.Target != nil {
		declared = e.Target.ResponseTypes
	}
	return e.support(e.Dialect.ResponseTypes, declared, "response_types_supported", rt)
}

// HasResponseType reports whether response type rt may be offered.
func (e *Env) HasResponseType(rt string) bool {
	s, _ := e.ResponseType(rt)
	return s != Absent
}

// AuthMethod says what is known of token endpoint authentication method m.
func (e *Env) AuthMethod(m string) (Support, string) {
	var declared []string
	if e.Target != nil {
		declared = e.Target.AuthMethods
	}
	s, why := e.support(e.Dialect.ClientAuth.Methods, declared, "token_endpoint_auth_methods_supported", m)
	if s == Unknown || s == Absent && declared == nil {
		// A configured client that uses the method shows it is offered.
		for _, c := range e.Clients {
			if c.MethodDeclared && c.Method == m {
				return Declared, "a configured client is declared to use " + m
			}
		}
	}
	return s, why
}

// HasAuthMethod reports whether method m may be offered.
func (e *Env) HasAuthMethod(m string) bool {
	s, _ := e.AuthMethod(m)
	return s != Absent
}

// PKCE says what is known of RFC 7636 support.
func (e *Env) PKCE() (Support, string) {
	decl := ""
	if e.Target != nil {
		decl = e.Target.PKCE
	}
	switch {
	case e.Dialect.PKCE.Support == profile.PKCEUnsupported:
		return Absent, fmt.Sprintf("the %s dialect has no PKCE", e.Dialect.Name)
	case decl == profile.PKCEUnsupported:
		return Absent, "the target declares no PKCE support"
	case decl != "":
		return Declared, "the target declares PKCE " + decl
	case e.Dialect.PKCE.Support == profile.PKCESupported || e.Dialect.PKCE.Support == profile.PKCERequired:
		return Declared, fmt.Sprintf("the %s dialect requires PKCE support", e.Dialect.Name)
	case e.SecurityBCP():
		return Declared, "the target claims RFC 9700, whose §2.1.1 requires PKCE support"
	}
	if md := e.UsableMetadata(); md != nil {
		if vals, ok := md.Strings("code_challenge_methods_supported"); ok && len(vals) > 0 {
			return Advertised, fmt.Sprintf("the metadata advertises code_challenge_methods_supported %q", vals)
		}
	}
	return Unknown, "neither the dialect, the target nor its metadata says whether it supports PKCE"
}

// PKCERequired reports whether every authorization request must carry a
// code_challenge (the dialect or the target says so).
func (e *Env) PKCERequired() bool {
	return e.Dialect.PKCE.Support == profile.PKCERequired || e.Target != nil && e.Target.PKCE == profile.PKCERequired
}

// PKCEMethod says what is known of code_challenge_method m.
func (e *Env) PKCEMethod(m string) (Support, string) {
	s, why := e.PKCE()
	if s == Absent {
		return s, why
	}
	if m == "S256" && s == Declared {
		return Declared, why + "; S256 is mandatory to implement (RFC 7636 §4.2)"
	}
	if slices.Contains(e.Dialect.PKCE.Methods, m) && s == Declared {
		return Declared, fmt.Sprintf("the %s dialect requires %s", e.Dialect.Name, m)
	}
	if md := e.UsableMetadata(); md != nil {
		if vals, ok := md.Strings("code_challenge_methods_supported"); ok {
			if slices.Contains(vals, m) {
				return Advertised, "the metadata advertises " + m
			}
		}
	}
	return Unknown, "nothing says whether " + m + " is supported"
}

// UsesPKCE reports whether the harness sends a code_challenge with its
// authorization requests: wherever PKCE may be supported. A server without
// PKCE ignores the parameter (RFC 6749 §3.1).
func (e *Env) UsesPKCE() bool {
	s, _ := e.PKCE()
	return s != Absent
}

// TokenFormat is the access token format the dialect requires or the target
// declares ("" when unknown: the JWT rules then skip).
func (e *Env) TokenFormat() (format, why string) {
	decl := ""
	if e.Target != nil {
		decl = e.Target.AccessToken.Format
	}
	df := e.Dialect.AccessToken.Format
	switch {
	case decl != "":
		return decl, "the target declares " + decl + " access tokens"
	case df != profile.FormatAny:
		return df, fmt.Sprintf("the %s dialect's access tokens are %s", e.Dialect.Name, df)
	}
	return "", "neither the dialect nor the target declares the access token format (RFC 6749 §1.4: opaque to clients)"
}

// JWTAlg is the JWS alg the dialect requires or the target declares.
func (e *Env) JWTAlg() string {
	if e.Target != nil && e.Target.AccessToken.Alg != "" {
		return e.Target.AccessToken.Alg
	}
	return e.Dialect.AccessToken.Alg
}

// JWTTyp is the JWS typ the dialect requires or the target declares; an
// RFC 9068 token's is at+jwt.
func (e *Env) JWTTyp() string {
	if e.Target != nil && e.Target.AccessToken.Typ != "" {
		return e.Target.AccessToken.Typ
	}
	if e.Dialect.AccessToken.Typ != "" {
		return e.Dialect.AccessToken.Typ
	}
	if f, _ := e.TokenFormat(); f == profile.FormatJWTRFC9068 {
		return "at+jwt"
	}
	return ""
}

// SecurityBCP reports whether RFC 9700's rules apply: the dialect requires
// it or the target claims it.
func (e *Env) SecurityBCP() bool {
	if e.Target != nil && e.Target.SecurityBCP != nil {
		return *e.Target.SecurityBCP
	}
	return e.Dialect.SecurityBCP
}

// Rotation is the declared refresh token rotation policy ("" unknown).
func (e *Env) Rotation() string {
	if e.Target != nil && e.Target.Rotation != "" {
		return e.Target.Rotation
	}
	if r := e.Dialect.RefreshToken.Rotation; r != profile.RotationAny {
		return r
	}
	return ""
}

// RequiresRefreshFor reports whether the dialect requires a refresh token
// in every success of grant g.
func (e *Env) RequiresRefreshFor(g string) bool { return e.Dialect.RequiresRefreshFor(g) }

// APIKeyHeader is the dialect's API key header, if any.
func (e *Env) APIKeyHeader() string { return e.Dialect.ClientAuth.APIKeyHeader }

// ClientGrant says whether client cl is registered for grant g: declared
// yes, declared no, or unknown (nil GrantTypes).
func ClientGrant(cl *Client, g string) Support {
	switch {
	case cl == nil || cl.GrantTypes == nil:
		return Unknown
	case slices.Contains(cl.GrantTypes, g):
		return Declared
	}
	return Absent
}

// ClosedVocabulary reports whether the scope values the server knows are
// known to the harness (the target declares scopes.supported, or the dialect
// fixes a vocabulary or how unknown values are treated): only then is a
// value outside them "unknown". RFC 6749 §3.3: the strings are defined by
// the authorization server, which may accept any.
func (e *Env) ClosedVocabulary() bool {
	return e.Target != nil && e.Target.Scopes.Supported != nil || len(e.Dialect.Scopes.Supported) > 0 || e.Dialect.Scopes.Unknown != profile.UnknownScopeAny
}

// ClientCredentialsWork reports whether cl can get tokens with client_credentials: the
// grant is promised (declared or advertised, and not excluded for the
// client), or, where nothing says, one request succeeded. The answer is
// kept per client.
func (e *Env) ClientCredentialsWork(ctx context.Context, cl *Client) bool {
	if cl.Public() || !e.HasGrant(profile.GrantClientCredentials) {
		return false
	}
	switch ClientGrant(cl, profile.GrantClientCredentials) {
	case Absent:
		return false
	case Declared:
		return true
	}
	if s, _ := e.Grant(profile.GrantClientCredentials); s.Expected() {
		return true
	}
	if e.absent == nil {
		return false
	}
	key := "cc:" + cl.ID
	if v, ok := e.absent.Load(key); ok {
		return v.(bool)
	}
	ex := e.ClientCredentials(ctx, cl, e.Scopes.S1)
	ok := Issued(ex)
	if ex.Err == nil && ex.Status < 500 {
		// A timeout or a server error says nothing of the grant: asked
		// again next time (and reported by the specs that send it).
		e.absent.Store(key, ok)
		if !ok {
			e.absent.Store("ccwhy:"+cl.ID, ccRefusal(ex))
		}
	}
	return ok
}

// ccRefusal says what a refused client_credentials probe answered. An
// invalid_client is a refusal of the credentials, not of the grant, and is
// named as such.
func ccRefusal(ex *harness.Exchange) string {
	code := harness.ErrorCodeOf(ex)
	switch code {
	case "invalid_client":
		return fmt.Sprintf("a client_credentials request was refused with invalid_client (status %d): the server refused the client's credentials or its authentication method for this grant, so nothing could be checked with it", ex.Status)
	case "":
		return fmt.Sprintf("a client_credentials request got status %d without an OAuth error, and nothing promised the grant", ex.Status)
	}
	return fmt.Sprintf("a client_credentials request was refused (%s, status %d) and nothing promised the grant", code, ex.Status)
}

// ClientCredentialsWhy says why cl cannot use client_credentials (for a
// skip message): a public client, a grant the server does not offer or
// the client is not registered for, or the refusal of an earlier probe.
func (e *Env) ClientCredentialsWhy(cl *Client) string {
	if cl.Public() {
		return "client_credentials is for confidential clients"
	}
	if s, why := e.Grant(profile.GrantClientCredentials); s == Absent {
		return why
	}
	if ClientGrant(cl, profile.GrantClientCredentials) == Absent {
		return "the client is not registered for it"
	}
	if v, ok := e.absent.Load("ccwhy:" + cl.ID); ok {
		return v.(string)
	}
	return "a client_credentials request was refused and nothing promised the grant"
}
