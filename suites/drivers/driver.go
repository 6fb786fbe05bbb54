package drivers

import (
	"context"
	"errors"
	"net/url"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/harness"
)

// Client is a registered client of the target as resolved for a run: its
// method chosen, its redirect URIs completed with the dialect's out-of-band
// URI. It is defined here because an AuthzRequest names the client a driver
// acts for; the engine calls it engine.Client.
type Client struct {
	ID     string
	Secret profile.Secret
	// Method is how it authenticates: client_secret_basic, client_secret_post
	// or none. MethodDeclared says the target declared it (else it was
	// chosen from the metadata and the dialect).
	Method         string
	MethodDeclared bool
	RedirectURIs   []string
	// Scopes, GrantTypes and ResponseTypes it is registered for; nil: not
	// declared.
	Scopes        []string
	GrantTypes    []string
	ResponseTypes []string
	// RequirePKCE: the target declares that this client must use PKCE.
	RequirePKCE bool
	// Native: an RFC 8252 native application.
	Native bool
}

// Public reports whether the client has no secret.
func (c *Client) Public() bool { return c.Secret == "" }

// MayUse reports whether the client may authenticate with method m: its
// declared method is m, or it declares none (RFC 7591 lets a server hold a
// client to its registered method, so only a declaration excuses a refusal).
func (c *Client) MayUse(m string) bool { return !c.MethodDeclared || c.Method == m }

// RedirectURI returns the first registered redirect URI.
func (c *Client) RedirectURI() string {
	if len(c.RedirectURIs) == 0 {
		return ""
	}
	return c.RedirectURIs[0]
}

// AuthzRequest is an authorization request a driver performs as the user.
type AuthzRequest struct {
	Client *Client
	// Query is the authorization request (response_type, client_id,
	// redirect_uri, state, scope, code_challenge, ...).
	Query url.Values
	// RawQuery, when set, is sent verbatim instead of Query (repeated
	// parameters, odd encodings).
	RawQuery string
	// Deny makes the user refuse consent.
	Deny bool
	// Verifier is the PKCE code_verifier of the request's code_challenge,
	// kept for redeeming the code; drivers do not send it.
	Verifier string
}

// AuthzResult is where the flow left the authorization server.
type AuthzResult struct {
	// Redirect is the first URL outside the authorization server that it sent
	// the user agent to (normally the client's redirect URI); nil when the
	// flow ended on a page of the server (an error page, an out-of-band page).
	Redirect *url.URL
	// Query and Fragment are the parameters of Redirect, or those read from
	// an out-of-band page.
	Query    url.Values
	Fragment url.Values
	// Page is the last response when the flow ended on the server.
	Page *harness.Exchange
	// LoginResponse answers the login/consent form POST (nil if none).
	LoginResponse *harness.Exchange
	// Exchanges is the whole flow, the evidence.
	Exchanges []*harness.Exchange
	// Request and Client are the request the flow was run for (set by the
	// specs' helpers, not by drivers), for explaining a refusal.
	Request url.Values
	Client  *Client
}

// BrokeAtServer reports whether a flow ended because of the server: no
// answer, or a server error. Anything else a driver could not follow (a
// login page it does not understand, a script redirect) is the driver's
// limit, not evidence against the server.
func (r *AuthzResult) BrokeAtServer() (*harness.Exchange, bool) {
	if r == nil || len(r.Exchanges) == 0 {
		return nil, false
	}
	last := r.Exchanges[len(r.Exchanges)-1]
	if r.Page != nil {
		last = r.Page
	}
	return last, last.Err != nil || last.Status >= 500
}

// Code returns the code of a code-flow response.
func (r *AuthzResult) Code() string { return r.Query.Get("code") }

// Error returns the error parameter from the query or the fragment.
func (r *AuthzResult) Error() string {
	if e := r.Query.Get("error"); e != "" {
		return e
	}
	return r.Fragment.Get("error")
}

// Evidence returns the flow's exchanges.
func (r *AuthzResult) Evidence() []*harness.Exchange { return r.Exchanges }

// Driver performs authorization requests as the user: a scripted form
// login, an out-of-band page reader, a user-given command, or (wired in by
// the command, the suites never import the mock) the embedded mock's
// minting hook.
type Driver interface {
	Authorize(ctx context.Context, req AuthzRequest) (*AuthzResult, error)
}

// ErrNotSupported is returned by drivers for requests they cannot perform
// (the embedded mock's minting driver only issues codes for valid requests).
var ErrNotSupported = errors.New("the authorization driver cannot perform this request")
