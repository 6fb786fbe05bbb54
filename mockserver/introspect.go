package mockserver

import (
	"context"
	"net/http"
	"slices"
	"strconv"
)

var inactiveBody = []byte(`{"active":false}`)

var errNotIntrospector = newError(errInvalidClient, "This client may not use the introspection endpoint.")

// handleIntrospection is the RFC 7662 introspection endpoint.
//   - The caller must authenticate as a client (public clients only where an
//     API key authorizes the request); it may introspect any token, as a
//     resource server does. With introspection.clients only those clients
//     may; another is refused (401 invalid_client) or sees no token, or only
//     its own, as inactive (introspection.unlisted).
//   - Unknown, expired, revoked (or of a revoked grant), rotated-out, or
//     badly signed tokens: exactly {"active":false} (§2.2).
//   - Access tokens: scope, client_id, sub, exp, iat and token_type (the
//     settings' spelling, as in the token response); JWTs add iss, and aud
//     and jti where they carry them.
//   - Refresh tokens are introspected too, with scope, client_id, sub, exp
//     and iat but no token_type: "refresh_token" is not a token type of RFC
//     6749 §7.1, and the member is optional.
func (p *Provider) handleIntrospection(w http.ResponseWriter, r *http.Request, ps *params) {
	// unlisted: the caller is not among introspection.clients, and
	// introspection.unlisted lets it see some tokens (or none) rather
	// than refusing it.
	var caller *registeredClient
	unlisted := false
	if !p.rules.intro.noAuth {
		c, oerr := p.endpointClient(r, ps, true)
		if oerr != nil {
			p.writeEndpointError(w, oerr)
			return
		}
		if in := p.settings.Introspection; len(in.Clients) > 0 && !slices.Contains(in.Clients, c.ID) {
			if in.Unlisted == IntrospectionRefuse {
				p.writeEndpointError(w, p.endpointAuthError(errNotIntrospector))
				return
			}
			caller, unlisted = c, true
		}
	}
	raw := ps.get("token")
	if raw == "" {
		p.writeEndpointError(w, errMissingToken)
		return
	}
	if unlisted && p.settings.Introspection.Unlisted == IntrospectionInactive {
		// RFC 7662 §2.2: "the protected resource is not allowed to
		// introspect this particular token".
		p.writeInactive(w, "not-allowed")
		return
	}
	ctx := r.Context()
	ref, err := p.findToken(ctx, raw, hintOrder(ps.get("token_type_hint")))
	if err != nil {
		p.writeEndpointError(w, errServer)
		return
	}
	if ref == nil {
		p.writeInactive(w, "unknown")
		return
	}
	if unlisted && ref.clientID != caller.ID {
		// introspection.unlisted own-tokens: another client's token.
		p.writeInactive(w, "not-allowed")
		return
	}
	active, err := p.tokenActive(ctx, ref, p.rules.intro.ignoresRevocation)
	if err != nil {
		p.writeEndpointError(w, errServer)
		return
	}
	if !active {
		p.writeInactive(w, p.inactiveReason(ctx, ref))
		return
	}
	b := p.introspection(ref)
	if len(p.filters[respIntrospection]) == 0 {
		p.writeNoStoreJSON(w, http.StatusOK, b)
		return
	}
	p.setNoStoreJSONHeaders(w.Header())
	p.writeFiltered(w, &response{status: http.StatusOK, req: r}, respIntrospection, b)
}

func (p *Provider) writeInactive(w http.ResponseWriter, reason string) {
	if p.rules.intro.inactiveReason {
		b := append([]byte(`{"active":false,"reason":`), appendJSONString(nil, reason)...)
		p.writeNoStoreJSON(w, http.StatusOK, append(b, '}'))
		return
	}
	p.writeNoStoreJSON(w, http.StatusOK, inactiveBody)
}

// inactiveReason is what the introspection-inactive-details quirk leaks.
func (p *Provider) inactiveReason(ctx context.Context, ref *tokenRef) string {
	if !p.clock.Now().Before(ref.exp) {
		return "expired"
	}
	if ok, _ := p.tokenActive(ctx, ref, true); !ok {
		return "rotated"
	}
	return "revoked"
}

// introspection builds the answer for an active token.
func (p *Provider) introspection(ref *tokenRef) []byte {
	b := make([]byte, 0, 256)
	b = append(b, `{"active":true`...)
	str := func(name, v string) {
		if v != "" {
			b = append(b, ',')
			b = appendJSONString(b, name)
			b = append(b, ':')
			b = appendJSONString(b, v)
		}
	}
	str("scope", ref.scope)
	str("client_id", ref.clientID)
	str("sub", ref.subject)
	b = append(b, `,"exp":`...)
	b = strconv.AppendInt(b, ref.exp.Unix(), 10)
	if !ref.iat.IsZero() {
		b = append(b, `,"iat":`...)
		b = strconv.AppendInt(b, ref.iat.Unix(), 10)
	}
	if ref.kind == KindAccess {
		b = append(b, `,"token_type":`...)
		b = append(b, p.tokenTypeJSON...)
		p.tokens.introspect(str, ref)
	}
	return append(b, '}')
}
