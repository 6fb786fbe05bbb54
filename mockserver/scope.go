package mockserver

import (
	"slices"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
)

var (
	errMalformedScope = newError(errInvalidScope, "The scope parameter is malformed (RFC 6749 Section 3.3).")
	errUnknownScope   = newError(errInvalidScope, "The requested scope is unknown or not allowed for this client.")
)

// allowedScopes is the client's scope vocabulary within the settings'.
func (p *Provider) allowedScopes(c *profile.Client) []string {
	if len(c.Scopes) == 0 {
		return p.settings.Scopes.Supported
	}
	var out []string
	for _, s := range c.Scopes {
		if slices.Contains(p.settings.Scopes.Supported, s) {
			out = append(out, s)
		}
	}
	return out
}

// grantScope decides the scope of a new grant from the request (RFC 6749
// §3.3): the default when omitted, unknown values rejected, dropped or
// granted per the settings (scopes.unknown). present says whether the scope
// parameter was sent at all.
func (p *Provider) grantScope(c *profile.Client, requested string, present bool) (string, *oauthError) {
	if present && requested == "" {
		// Only reachable with the empty-scope-literal quirk.
		return "", errUnknownScope
	}
	allowed := p.allowedScopes(c)
	if requested == "" {
		var out []string
		for _, s := range strings.Fields(p.settings.Scopes.Default) {
			if slices.Contains(allowed, s) {
				out = append(out, s)
			}
		}
		return strings.Join(out, " "), nil
	}
	// Fast path: a single allowed scope needs no allocation.
	if !strings.ContainsAny(requested, " \t") && slices.Contains(allowed, requested) {
		return requested, nil
	}
	var out []string
	for _, s := range strings.Split(requested, " ") {
		if s == "" {
			continue
		}
		if !profile.ValidScopeToken(s) {
			if !p.rules.scope.malformedAccepted {
				return "", errMalformedScope
			}
			out = append(out, s)
			continue
		}
		if slices.Contains(out, s) {
			continue
		}
		if !slices.Contains(allowed, s) && !p.rules.scope.unknownGranted {
			switch unknown := p.settings.Scopes.Unknown; {
			case unknown == UnknownScopeAccept && !slices.Contains(p.settings.Scopes.Supported, s):
				// An open vocabulary: any value the settings do not
				// know is granted as requested. A known value the
				// client may not have is still refused.
				out = append(out, s)
				continue
			case unknown != profile.UnknownScopeIgnore && !p.rules.scope.unknownSilentlyDropped:
				return "", errUnknownScope
			}
			continue
		}
		out = append(out, s)
	}
	if p.rules.scope.orderMatters && !inVocabularyOrder(out, allowed) {
		return "", errUnknownScope
	}
	if len(out) == 0 && len(strings.Fields(requested)) > 0 && p.settings.Scopes.Unknown == profile.UnknownScopeIgnore {
		// Everything was dropped: fall back to the default, reported in scope.
		return p.grantScope(c, "", false)
	}
	return strings.Join(out, " "), nil
}

// checkRequiredScope refuses a granted scope that lacks a value the
// settings require of every authorization request (scopes.required, like
// OpenID Connect's openid): invalid_scope (RFC 6749 §4.1.2.1).
func (p *Provider) checkRequiredScope(scope string) *oauthError {
	for _, v := range p.settings.Scopes.Required {
		if !hasAnyScope(scope, []string{v}) {
			return newError(errInvalidScope, "The scope must include "+strings.Join(p.settings.Scopes.Required, " ")+".")
		}
	}
	return nil
}

func inVocabularyOrder(got, vocab []string) bool {
	last := -1
	for _, s := range got {
		i := slices.Index(vocab, s)
		if i < last {
			return false
		}
		last = i
	}
	return true
}

// scopeSubset reports whether every value of a is in b.
func scopeSubset(a, b string) bool {
	bs := strings.Fields(b)
	for _, s := range strings.Fields(a) {
		if !slices.Contains(bs, s) {
			return false
		}
	}
	return true
}

// sameScope compares scopes as sets.
func sameScope(a, b string) bool { return scopeSubset(a, b) && scopeSubset(b, a) }

// validScopeSyntax checks every value of a space-separated scope.
func validScopeSyntax(s string) bool {
	for _, v := range strings.Split(s, " ") {
		if v != "" && !profile.ValidScopeToken(v) {
			return false
		}
	}
	return true
}
