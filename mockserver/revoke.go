package mockserver

import (
	"context"
	"errors"
	"net/http"

	"github.com/oauthconform/oauthconform/profile"
)

// Revocation (RFC 7009) and the request handling it shares with
// introspection (RFC 7662). Neither endpoint is subject to the token
// endpoint's quirks of encoding or error format: each of their quirks breaks
// one rule of their own group.

var (
	errMissingToken  = newError(errInvalidRequest, "The token parameter is required.")
	errEndpointPOST  = &oauthError{Code: errInvalidRequest, Description: "This endpoint accepts only POST.", Status: http.StatusMethodNotAllowed}
	errUnknownToken  = newError(errInvalidRequest, "The token is unknown.")
	errUnsupportedTT = newError("unsupported_token_type", "The token type hint is not supported.")
)

// endpointHandler serves a revocation or introspection request with
// serve: it checks the method and parses the body into pooled params,
// returned once serve is done; on failure it writes the error instead.
func (p *Provider) endpointHandler(serve func(w http.ResponseWriter, r *http.Request, ps *params)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodPost {
			p.writeEndpointError(w, errEndpointPOST)
			return
		}
		ps := getParams()
		defer putParams(ps)
		if oerr := p.parseEndpointParams(r, ps); oerr != nil {
			p.writeEndpointError(w, oerr)
			return
		}
		serve(w, r, ps)
	}
}

// endpointClient authenticates the client of a revocation or introspection
// request exactly as the token endpoint does (API key, then RFC 6749 §2.3).
// Introspection refuses public clients unless an API key authorizes the
// request (RFC 7662 §2.1).
func (p *Provider) endpointClient(r *http.Request, ps *params, introspection bool) (*registeredClient, *oauthError) {
	if oerr := p.checkAPIKey(r); oerr != nil {
		return nil, oerr
	}
	ar, oerr := p.authenticateClient(r, ps)
	if oerr != nil {
		if !introspection && oerr.Code == errInvalidClient && oerr.status() == http.StatusBadRequest && p.settings.ClientAuth.InvalidClientStatus == http.StatusBadRequest {
			// client_auth.invalid_client_status 400: revocation answers
			// as the token endpoint does (RFC 7009 §2.2.1 defers to RFC
			// 6749 §5.2).
			return nil, oerr
		}
		return nil, p.endpointAuthError(oerr)
	}
	if introspection && ar.method == profile.AuthNone && p.settings.ClientAuth.APIKeyHeader == "" {
		return nil, p.endpointAuthError(newError(errInvalidClient, "Public clients may not use the introspection endpoint."))
	}
	return ar.client, nil
}

// endpointAuthError makes every invalid_client a 401 with a challenge (RFC
// 7009 §2.2.1 and RFC 7662 §2.3 defer to RFC 6749 §5.2; the strict choice),
// but for revocation under client_auth.invalid_client_status 400 (see
// endpointClient).
func (p *Provider) endpointAuthError(e *oauthError) *oauthError {
	if e.Code != errInvalidClient || (e.Status == http.StatusUnauthorized && e.Challenge != "") {
		return e
	}
	out := *e
	out.Status = http.StatusUnauthorized
	switch {
	case p.settings.HasAuthMethod(profile.AuthBasic) || p.settings.ClientAuth.APIKeyHeader == "":
		out.Challenge = p.basicChallenge()
	default:
		out.Challenge = `ApiKey realm="` + p.realm + `", header="` + p.settings.ClientAuth.APIKeyHeader + `"`
	}
	return &out
}

// writeEndpointError writes an RFC 6749 §5.2-style error for revocation or
// introspection, with the cache headers of §5.1.
func (p *Provider) writeEndpointError(w http.ResponseWriter, e *oauthError) {
	h := w.Header()
	if e.status() == http.StatusUnauthorized && e.Challenge != "" {
		h.Set("WWW-Authenticate", e.Challenge)
	}
	if e.status() == http.StatusMethodNotAllowed {
		h.Set("Allow", http.MethodPost)
	}
	if e.RetryAfter != "" {
		h.Set("Retry-After", e.RetryAfter)
	}
	b := append([]byte(`{"error":`), appendJSONString(nil, e.Code)...)
	if e.Description != "" {
		b = append(b, `,"error_description":`...)
		b = appendJSONString(b, e.Description)
	}
	b = append(b, '}')
	p.writeNoStoreJSON(w, e.status(), b)
}

// hintOrder turns token_type_hint into a search order (RFC 7009 §2.1: the
// hint is a lookup optimisation; every type is searched, and an unknown
// hint is ignored).
func hintOrder(hint string) searchOrder {
	if hint == "access_token" {
		return accessFirst
	}
	return refreshFirst
}

var errOtherClientsToken = newError(errInvalidGrant, "The token was issued to another client.")

// handleRevocation is the RFC 7009 revocation endpoint.
//   - Unknown, invalid or expired tokens: 200 (§2.2).
//   - A token issued to another client is left untouched and the request is
//     refused with invalid_grant, as §2.1 says ("the request is refused and
//     the client is informed of the error"); only a holder of the token
//     itself learns that it exists.
//   - A refresh token revokes its whole grant: the family's refresh and
//     access tokens (§2.1 "SHOULD also invalidate" the access tokens).
//   - An access token revokes that token only.
func (p *Provider) handleRevocation(w http.ResponseWriter, r *http.Request, ps *params) {
	client, oerr := p.endpointClient(r, ps, false)
	if oerr != nil {
		if !p.rules.revoke.noClientAuth {
			p.writeEndpointError(w, oerr)
			return
		}
		client = nil
	}
	raw := ps.get("token")
	if raw == "" {
		p.writeEndpointError(w, errMissingToken)
		return
	}
	order := hintOrder(ps.get("token_type_hint"))
	if p.rules.revoke.hintTrusted {
		switch ps.get("token_type_hint") {
		case "access_token":
			order = accessOnly
		case "refresh_token":
			order = refreshOnly
		case "":
		default:
			p.writeEndpointError(w, errUnsupportedTT)
			return
		}
	}
	ctx := r.Context()
	ref, err := p.findToken(ctx, raw, order)
	if err != nil {
		p.writeEndpointError(w, errServer)
		return
	}
	if ref == nil {
		if p.rules.revoke.unknown400 {
			p.writeEndpointError(w, errUnknownToken)
			return
		}
		p.writeRevoked(w)
		return
	}
	if client != nil && ref.clientID != client.ID && !p.rules.revoke.crossClient {
		p.log.DebugContext(ctx, "revocation of another client's token refused", "client_id", client.ID)
		p.writeEndpointError(w, errOtherClientsToken)
		return
	}
	if err := p.revoke(ctx, ref, p.rules.revoke.keepsRefresh); err != nil {
		// RFC 7009 §2.2.1: on 503 the client assumes the token still
		// exists and retries later.
		p.writeEndpointError(w, storeFailure(err))
		return
	}
	p.writeRevoked(w)
}

func (p *Provider) writeRevoked(w http.ResponseWriter) {
	h := w.Header()
	h["Cache-Control"] = noStore
	h["Pragma"] = noCache
	h.Set("Content-Length", "0")
	w.WriteHeader(http.StatusOK)
}

// revoke invalidates a token found by findToken: a refresh token with
// its grant (unless keepsRefresh: then nothing), an access token alone. A
// record gone meanwhile is no error.
func (p *Provider) revoke(ctx context.Context, ref *tokenRef, keepsRefresh bool) error {
	switch {
	case ref.kind == KindRefresh:
		if keepsRefresh {
			return nil
		}
		if ref.rec.GrantID != "" {
			if err := ignoreNotFound(p.store.RevokeGrant(ctx, ref.rec.GrantID)); err != nil {
				return err
			}
		}
		return ignoreNotFound(p.store.RevokeToken(ctx, ref.key))
	case ref.rec != nil:
		return ignoreNotFound(p.store.RevokeToken(ctx, ref.key))
	case ref.jti != "":
		return p.store.RevokeJTI(ctx, ref.jti, ref.exp)
	}
	return nil
}

// ignoreNotFound is err, but nil for ErrNotFound.
func ignoreNotFound(err error) error {
	if errors.Is(err, ErrNotFound) {
		return nil
	}
	return err
}

// RevocationURL returns the revocation endpoint URL ("" if there is
// none).
func (s *Server) RevocationURL() string { return s.endpointURL(s.settings.Endpoints.Revocation) }

// IntrospectionURL returns the introspection endpoint URL ("" if none).
func (s *Server) IntrospectionURL() string { return s.endpointURL(s.settings.Endpoints.Introspection) }

// ResourceURL returns the generic protected resource URL ("" if none).
func (s *Server) ResourceURL() string { return s.endpointURL(s.settings.Endpoints.Resource) }

func (s *Server) endpointURL(path string) string {
	if path == "" {
		return ""
	}
	return s.URL + path
}
