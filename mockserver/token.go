package mockserver

import (
	"context"
	"net/http"
	"sync"

	"github.com/oauthconform/oauthconform/profile"
)

// tokenRequest is one parsed, client-authenticated token request.
type tokenRequest struct {
	r      *http.Request
	params *params
	client *registeredClient
	method string
	// idToken is the OpenID Connect ID token a grant handler issued with
	// the access token ("" for none).
	idToken string
}

// grantHandler handles one grant type (one handler per grant, as in fosite).
type grantHandler func(ctx context.Context, tr *tokenRequest) (*issued, *oauthError)

var paramsPool = sync.Pool{New: func() any { return &params{kv: make([]kv, 0, 8)} }}

// getParams takes empty params from paramsPool; putParams gives them back,
// emptied so that the pool keeps no request's strings alive.
func getParams() *params { return paramsPool.Get().(*params) }

func putParams(ps *params) {
	ps.reset()
	paramsPool.Put(ps)
}

var respBufPool = sync.Pool{New: func() any { b := make([]byte, 0, 1024); return &b }}

var (
	errMissingGrantType = newError(errInvalidRequest, "The grant_type parameter is required.")
	errUnsupportedGrant = newError(errUnsupportedGrantType, "The grant type is not supported.")
	errClientGrant      = newError(errUnauthorizedClient, "The client is not allowed to use this grant type.")
	errServer           = &oauthError{Code: errServerError, Description: "The server could not complete the request.", Status: http.StatusInternalServerError}
)

// handleToken is the RFC 6749 §3.2 token endpoint.
func (p *Provider) handleToken(w http.ResponseWriter, r *http.Request) {
	ps := getParams()
	defer putParams(ps)

	switch {
	case r.Method == http.MethodPost:
		if oerr := p.parseTokenParams(r, ps); oerr != nil {
			p.writeTokenError(w, oerr)
			return
		}
	case r.Method == http.MethodGet && p.rules.token.getAllowed:
		q := r.URL.Query()
		if len(q) > maxParams {
			p.writeTokenError(w, errTooManyParams)
			return
		}
		for k, vs := range q {
			ps.add(k, vs[len(vs)-1], false)
		}
	default:
		w.Header().Set("Allow", http.MethodPost)
		e := newError(errInvalidRequest, "The token endpoint accepts only POST (RFC 6749 Section 3.2).")
		e.Status = http.StatusMethodNotAllowed
		p.writeTokenError(w, e)
		return
	}
	if p.rules.token.unknownParamRefused {
		for _, x := range ps.kv {
			if !x.omitted && !knownTokenParams[x.k] {
				p.writeTokenError(w, newError(errInvalidRequest, "Unrecognized request parameter."))
				return
			}
		}
	}
	if oerr := p.checkAPIKey(r); oerr != nil {
		p.writeTokenError(w, oerr)
		return
	}

	grantType := ps.get("grant_type")
	if grantType == "" && !p.rules.token.defaultGrantIgnored {
		grantType = p.settings.TokenRequest.DefaultGrantType
	}
	if grantType == "" && p.rules.token.missingGrantDefaulted {
		grantType = profile.GrantClientCredentials
	}
	if grantType == "" {
		p.writeTokenError(w, errMissingGrantType)
		return
	}
	handler, ok := p.grants[grantType]
	grantFirst := p.settings.TokenRequest.CheckOrder == CheckGrantFirst
	if !ok && grantFirst {
		// token_request.check_order grant-first: an unknown or disabled
		// grant type is refused before the client is authenticated.
		p.writeUnsupportedGrant(w, grantType)
		return
	}
	ar, oerr := p.authenticateClient(r, ps)
	if oerr != nil {
		p.writeTokenError(w, oerr)
		return
	}
	if !ok {
		p.writeUnsupportedGrant(w, grantType)
		return
	}
	if !ar.client.AllowsGrant(grantType) && !p.rules.client.grantUnchecked {
		p.writeTokenError(w, errClientGrant)
		return
	}

	tr := &tokenRequest{r: r, params: ps, client: ar.client, method: ar.method}
	res, oerr := handler(r.Context(), tr)
	if oerr != nil {
		if oerr == errServer {
			p.log.ErrorContext(r.Context(), "token request failed", "grant_type", grantType, "client_id", ar.client.ID)
		}
		p.writeTokenError(w, oerr)
		return
	}
	bp := respBufPool.Get().(*[]byte)
	body := p.appendTokenResponse((*bp)[:0], res)
	body = appendIDTokenMember(body, tr.idToken)
	if len(p.filters[respTokenSuccess]) == 0 {
		p.writeNoStoreJSON(w, http.StatusOK, body)
	} else {
		p.setNoStoreJSONHeaders(w.Header())
		p.writeFiltered(w, &response{status: http.StatusOK, req: r, params: ps}, respTokenSuccess, body)
	}
	*bp = body
	respBufPool.Put(bp)
	if p.log.Enabled(r.Context(), levelDebug) {
		p.log.DebugContext(r.Context(), "token issued", "grant_type", grantType, "client_id", ar.client.ID, "scope", res.scope)
	}
}

// writeUnsupportedGrant answers unsupported_grant_type (RFC 6749 §5.2).
func (p *Provider) writeUnsupportedGrant(w http.ResponseWriter, grantType string) {
	p.writeTokenErrorFor(w, errUnsupportedGrant, grantType)
}

var knownTokenParams = map[string]bool{
	"grant_type": true, "client_id": true, "client_secret": true, "scope": true, "code": true,
	"redirect_uri": true, "code_verifier": true, "username": true, "password": true, "refresh_token": true,
}

// grantHandlers maps the settings' grant types to their handlers.
func (p *Provider) grantHandlers() map[string]grantHandler {
	all := map[string]grantHandler{
		profile.GrantClientCredentials: p.grantClientCredentials,
		profile.GrantPassword:          p.grantPassword,
		profile.GrantAuthorizationCode: p.grantAuthorizationCode,
		profile.GrantRefreshToken:      p.grantRefreshToken,
	}
	out := map[string]grantHandler{}
	for _, g := range p.settings.GrantTypes {
		out[g] = all[g]
	}
	return out
}
