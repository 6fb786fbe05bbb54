package suites

import (
	"context"
	"errors"
	"fmt"
	"net/url"

	"github.com/oauthconform/oauthconform/mockserver"
	"github.com/oauthconform/oauthconform/suites/harness"
)

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

// Driver performs authorization requests as the user: the embedded mock's
// minting, a scripted form login, an out-of-band page reader, or a
// user-given command.
type Driver interface {
	Authorize(ctx context.Context, req AuthzRequest) (*AuthzResult, error)
}

// ErrNotSupported is returned by drivers for requests they cannot perform
// (the minting driver only issues codes for valid requests).
var ErrNotSupported = errors.New("the authorization driver cannot perform this request")

// mintDriver asks the embedded mock for codes directly: fast, and only for
// valid code-flow requests. Specs of the authorize endpoint itself use a
// browser-like driver instead.
type mintDriver struct {
	mock *mockserver.Server
}

func (d mintDriver) Authorize(ctx context.Context, req AuthzRequest) (*AuthzResult, error) {
	q := req.Query
	if req.RawQuery != "" || req.Deny || q.Get("response_type") != "code" {
		return nil, ErrNotSupported
	}
	redirect := q.Get("redirect_uri")
	cr := mockserver.CodeRequest{
		ClientID: q.Get("client_id"), RedirectURI: redirect, OmitRedirectURI: redirect == "",
		Scope: q.Get("scope"), CodeChallenge: q.Get("code_challenge"), CodeChallengeMethod: q.Get("code_challenge_method"),
	}
	if redirect == "" && req.Client != nil {
		redirect = req.Client.RedirectURI()
	}
	for _, x := range d.mock.Profile().Authorize.Extras {
		if v := q.Get(x.Name); v != "" {
			if cr.Claims == nil {
				cr.Claims = map[string]string{}
			}
			cr.Claims[x.Claim] = v
		}
	}
	code, err := d.mock.MintCode(ctx, cr)
	if err != nil {
		return nil, fmt.Errorf("mint code: %w", err)
	}
	u, err := url.Parse(redirect)
	if err != nil {
		return nil, err
	}
	params := url.Values{"code": {code}}
	if s := q.Get("state"); s != "" {
		params.Set("state", s)
	}
	return &AuthzResult{Redirect: u, Query: params, Fragment: url.Values{}}, nil
}
