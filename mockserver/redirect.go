package mockserver

import (
	"net/url"
	"slices"
	"strings"

	"github.com/oauthconform/oauthconform/profile"
)

// Redirect URI matching (RFC 6749 §3.1.2, RFC 9700 §2.1 and §4.1.3).
//
// The strict rule: the redirect_uri of a request must equal a registered URI
// character for character. No normalisation at all: case, percent-encoding,
// dot segments, trailing slashes, default ports and query order all count.
// The one exception is RFC 8252 §7.3 / RFC 9700 §4.1.3: when the registered
// URI is an http URI on a loopback host (127.0.0.1, [::1] or localhost), the
// request may name any port (or none); everything else must still match
// exactly. A URI with a fragment is never valid (RFC 6749 §3.1.2).
//
// Two settings loosen it within what the RFCs allow:
//   - authorize.loopback_ports native: only clients registered native (RFC
//     8252) get the port exception; the others are compared exactly.
//   - authorize.redirect_query set: a registered URI with a query also
//     matches a request URI with the same scheme, authority and path
//     (character for character) whose query holds the same parameters in
//     another order. The response then goes to the registered URI with its
//     query parameters in yet another order (responseURI): RFC 6749 §3.1.2
//     has the server retain the query component, not its order.

// redirectAllowed reports whether uri may be used as the redirect URI of
// client c. The open-redirect and prefix-redirect-match quirks loosen it.
func (p *Provider) redirectAllowed(c *profile.Client, uri string) bool {
	_, ok := p.matchRedirect(c, uri)
	return ok
}

// matchRedirect is redirectAllowed that also returns the registered URI
// matched ("" when a quirk let an unregistered URI through).
func (p *Provider) matchRedirect(c *profile.Client, uri string) (reg string, ok bool) {
	if uri == "" {
		return "", false
	}
	if p.rules.redirect.anyAccepted {
		return "", redirectTarget(uri)
	}
	if p.rules.redirect.fragmentAccepted {
		uri, _, _ = strings.Cut(uri, "#")
	}
	if strings.IndexByte(uri, '#') >= 0 {
		return "", false
	}
	loopback := !p.rules.redirect.exactLoopbackPort && (p.settings.Authorize.LoopbackPorts != LoopbackNative || c.Native)
	querySet := p.settings.Authorize.RedirectQuery == QuerySet
	for _, reg := range c.RedirectURIs {
		if uri == reg || loopback && loopbackMatch(reg, uri) {
			return reg, true
		}
		if querySet && querySetMatch(reg, uri, loopback) {
			return reg, true
		}
	}
	for _, reg := range c.RedirectURIs {
		if p.rules.redirect.prefixMatch && strings.HasPrefix(uri, reg) {
			return "", true
		}
		if p.rules.redirect.queryAppended {
			regPath, _, _ := strings.Cut(reg, "?")
			if path, _, ok := strings.Cut(uri, "?"); ok && path == regPath {
				return "", true
			}
		}
	}
	return "", false
}

// querySetMatch reports whether got is reg with its query parameters in
// another order: the parts before the query equal (or, with loopback, equal
// but for the port of a loopback URI), and the queries hold the same
// name=value pairs (compared decoded, as a multiset).
func querySetMatch(reg, got string, loopback bool) bool {
	regBase, regQuery, ok := strings.Cut(reg, "?")
	if !ok || regQuery == "" {
		return false
	}
	gotBase, gotQuery, ok := strings.Cut(got, "?")
	if !ok || (gotBase != regBase && !(loopback && loopbackMatch(regBase, gotBase))) {
		return false
	}
	a, okA := queryPairs(regQuery)
	b, okB := queryPairs(gotQuery)
	return okA && okB && slices.Equal(a, b)
}

// queryPairs decodes a query into sorted "name\x00value" pairs; ok is false
// when an escape is malformed.
func queryPairs(q string) ([]string, bool) {
	parts := strings.Split(q, "&")
	out := make([]string, 0, len(parts))
	for _, pair := range parts {
		k, v, _ := strings.Cut(pair, "=")
		k, err1 := url.QueryUnescape(k)
		v, err2 := url.QueryUnescape(v)
		if err1 != nil || err2 != nil {
			return nil, false
		}
		out = append(out, k+"\x00"+v)
	}
	slices.Sort(out)
	return out, true
}

// responseURI is where the response to an authorization request for the
// redirect URI uri, matched by the registered reg, goes: uri itself, or with
// redirect_query set and a registered query, uri's scheme, authority and
// path followed by reg's query parameters (spelt as registered) in another
// order than registered.
func (p *Provider) responseURI(reg, uri string) string {
	if p.settings.Authorize.RedirectQuery != QuerySet || reg == "" {
		return uri
	}
	_, regQuery, ok := strings.Cut(reg, "?")
	if !ok || regQuery == "" {
		return uri
	}
	head, frag, hasFrag := strings.Cut(uri, "#")
	base, _, _ := strings.Cut(head, "?")
	out := base + "?" + reorderQuery(regQuery)
	if hasFrag {
		out += "#" + frag
	}
	return out
}

// reorderQuery returns the pairs of q in another order: reversed, or, when
// that is the same order (a palindrome), rotated; a query whose pairs are
// all equal stays as it is.
func reorderQuery(q string) string {
	parts := strings.Split(q, "&")
	out := slices.Clone(parts)
	slices.Reverse(out)
	for i := 0; i < len(parts) && slices.Equal(out, parts); i++ {
		out = append(slices.Clone(parts[i+1:]), parts[:i+1]...)
	}
	return strings.Join(out, "&")
}

// redirectTarget reports whether s is something a Location header can send
// a browser to: an absolute URI without control characters. It is only used
// where a quirk redirects to unvalidated URIs.
func redirectTarget(s string) bool {
	if len(s) > maxRedirectURILen {
		return false
	}
	u, err := url.Parse(s)
	return err == nil && u.Scheme != "" && (u.Host != "" || u.Opaque != "" || u.Path != "")
}

// maxRedirectURILen bounds the redirect URIs the quirks accept.
const maxRedirectURILen = 2048

// loopbackMatch implements the RFC 8252 §7.3 port exception: reg is an http
// URI on a loopback host, and got differs from it at most in its port.
func loopbackMatch(reg, got string) bool {
	const scheme = "http://"
	if !strings.HasPrefix(reg, scheme) || !strings.HasPrefix(got, scheme) {
		return false
	}
	regHost, _, regRest, ok := splitLoopbackAuthority(reg[len(scheme):])
	if !ok {
		return false
	}
	gotHost, gotPort, gotRest, ok := splitLoopbackAuthority(got[len(scheme):])
	if !ok || gotHost != regHost || gotRest != regRest {
		return false
	}
	return gotPort == "" || validPort(gotPort[1:])
}

// splitLoopbackAuthority splits "host[:port]rest" (port keeps its colon, so
// "host:" is told from "host") where host is a loopback
// literal spelled as RFC 8252 §7.3 and §8.3 use it. Anything else (userinfo,
// other hosts, upper case) fails.
func splitLoopbackAuthority(s string) (host, port, rest string, ok bool) {
	end := strings.IndexAny(s, "/?#")
	if end < 0 {
		end = len(s)
	}
	auth, rest := s[:end], s[end:]
	for _, h := range [...]string{"127.0.0.1", "[::1]", "localhost"} {
		after, found := strings.CutPrefix(auth, h)
		if !found {
			continue
		}
		if after == "" {
			return h, "", rest, true
		}
		if after[0] == ':' {
			return h, after, rest, true
		}
	}
	return "", "", "", false
}

// validPort accepts 1..65535 written canonically (no sign, no leading zero).
func validPort(s string) bool {
	if s == "" || len(s) > 5 || s[0] == '0' {
		return false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c < '0' || c > '9' {
			return false
		}
		n = n*10 + int(c-'0')
	}
	return n >= 1 && n <= 65535
}

// redirectParam is one parameter added to a redirect URI.
type redirectParam struct{ k, v string }

// buildRedirect adds params to base, form-encoded (RFC 6749 §4.1.2, App. B):
// in the query (keeping a query the registered URI already has, RFC 6749
// §3.1.2) or in the fragment (implicit grant, §4.2.2). Empty values are left
// out. base is used as is: it is a registered URI (or, with a quirk, one that
// parsed as a URI), never re-encoded.
func buildRedirect(base string, params []redirectParam, fragment bool) string {
	var b strings.Builder
	head, frag, hasFrag := strings.Cut(base, "#")
	n := len(base) + 1
	for _, kv := range params {
		n += len(kv.k) + 3*len(kv.v) + 2
	}
	b.Grow(n)
	// appendParams writes the parameters, sep before the first and "&"
	// between the others.
	appendParams := func(sep string) {
		for _, kv := range params {
			if kv.v == "" {
				continue
			}
			b.WriteString(sep)
			sep = "&"
			b.WriteString(url.QueryEscape(kv.k))
			b.WriteByte('=')
			b.WriteString(url.QueryEscape(kv.v))
		}
	}
	if fragment {
		b.WriteString(head)
		b.WriteByte('#')
		if hasFrag && frag != "" {
			b.WriteString(frag)
			appendParams("&")
		} else {
			appendParams("")
		}
		return b.String()
	}
	b.WriteString(head)
	switch {
	case !strings.Contains(head, "?"):
		appendParams("?")
	case strings.HasSuffix(head, "?") || strings.HasSuffix(head, "&"):
		appendParams("")
	default:
		appendParams("&")
	}
	if hasFrag {
		b.WriteByte('#')
		b.WriteString(frag)
	}
	return b.String()
}

// cspSource returns the CSP source expression of the origin a form may be
// redirected to (Chrome applies form-action to the redirects that follow a
// form submission), or "" when the URI gives none that is safe to write into
// the header.
func cspSource(uri string) string {
	u, err := url.Parse(uri)
	if err != nil || u.Scheme == "" || !cspSafe(u.Scheme) {
		return ""
	}
	scheme := strings.ToLower(u.Scheme)
	if u.Host == "" {
		return scheme + ":"
	}
	if !cspSafe(u.Host) {
		return ""
	}
	return scheme + "://" + u.Host
}

// cspSafe accepts the characters of a scheme or host[:port] (IPv6 brackets
// included) and nothing that could end or extend a CSP directive.
func cspSafe(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '.' || c == '-' || c == '+' || c == ':' || c == '[' || c == ']') {
			return false
		}
	}
	return true
}
