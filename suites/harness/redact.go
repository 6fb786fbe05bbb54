package harness

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
)

// Redaction keeps credentials and tokens out of failure reports, which end
// up in CI logs and bug trackers.
//
// A redacted value is written "[REDACTED#1a2b3c]": the suffix is an HMAC of
// the value under a key drawn at random when the process starts. Within one
// run the same value always gets the same fingerprint, so a report can show
// that the refresh token sent in one request is the one issued in another,
// or that a rotated token differs. Across runs, and to anyone reading the
// report, the fingerprint reveals nothing: it cannot be reversed, nor
// confirmed by guessing, without the key. (Showing the first characters of a
// value, the other common choice, leaks part of short secrets.) Empty values
// are left empty, since "sent but empty" is itself evidence.
const redactedPrefix = "[REDACTED"

var fingerprintKey = func() []byte {
	k := make([]byte, 32)
	_, _ = rand.Read(k)
	return k
}()

// Redacted returns the redacted form of a secret value.
func Redacted(v string) string {
	if v == "" {
		return ""
	}
	m := hmac.New(sha256.New, fingerprintKey)
	m.Write([]byte(v))
	return redactedPrefix + "#" + hex.EncodeToString(m.Sum(nil)[:3]) + "]"
}

// sensitiveParams are request/response parameters and JSON members whose
// values are credentials or tokens. Compared case-insensitively: a server
// echoing "Password" leaks just the same.
var sensitiveParams = map[string]bool{
	"client_secret":    true,
	"password":         true,
	"access_token":     true,
	"refresh_token":    true,
	"code":             true,
	"code_verifier":    true,
	"assertion":        true,
	"client_assertion": true,
	"token":            true,
	"id_token":         true,
}

// SensitiveParam reports whether values of the parameter or JSON member are
// redacted.
func SensitiveParam(name string) bool { return sensitiveParams[strings.ToLower(name)] }

// sensitiveHeader: Authorization-like headers, cookies, and custom headers
// whose name says they carry a key or token (x-api-key, x-…-jwt, x-csrf-token).
// WWW-Authenticate is deliberately not matched: the checks need it.
func sensitiveHeader(name string) bool {
	n := strings.ToLower(name)
	switch n {
	case "authorization", "proxy-authorization", "cookie", "set-cookie":
		return true
	}
	for _, s := range []string{"api-key", "apikey", "token", "secret", "password", "jwt", "session"} {
		if strings.Contains(n, s) {
			return true
		}
	}
	return false
}

// RedactHeader returns a header value fit for a report. Authorization keeps
// its scheme ("Basic [REDACTED#…]"), and for Basic the client id, which is
// not a secret (RFC 6749 §2.2) and is what one needs to debug an encoding
// problem. Location-like headers have their query and fragment parameters
// redacted.
func RedactHeader(name, value string) string {
	n := strings.ToLower(name)
	switch {
	case n == "authorization" || n == "proxy-authorization":
		scheme, cred, ok := strings.Cut(value, " ")
		if !ok {
			return Redacted(value)
		}
		out := scheme + " " + Redacted(cred)
		if strings.EqualFold(scheme, "basic") {
			if raw, err := base64.StdEncoding.DecodeString(strings.TrimSpace(cred)); err == nil {
				if id, _, ok := strings.Cut(string(raw), ":"); ok {
					out += fmt.Sprintf(" (user-id %q)", id)
				}
			}
		}
		return out
	case sensitiveHeader(n):
		return Redacted(value)
	case n == "location" || n == "content-location" || n == "refresh":
		return RedactURL(value)
	}
	return value
}

// RedactURL redacts sensitive parameters in the query and fragment (codes
// and implicit-grant tokens arrive there) and a password in the userinfo.
// Everything else is kept byte for byte.
func RedactURL(raw string) string {
	rest, frag, hasFrag := strings.Cut(raw, "#")
	rest, query, hasQuery := strings.Cut(rest, "?")
	out := redactUserinfo(rest)
	if hasQuery {
		out += "?" + redactParams(query)
	}
	if hasFrag {
		out += "#" + redactParams(frag)
	}
	return out
}

func redactUserinfo(s string) string {
	i := strings.Index(s, "://")
	if i < 0 {
		return s
	}
	auth := s[i+3:]
	if j := strings.IndexByte(auth, '/'); j >= 0 {
		auth = auth[:j]
	}
	at := strings.LastIndexByte(auth, '@')
	if at < 0 {
		return s
	}
	user, pass, ok := strings.Cut(auth[:at], ":")
	if !ok {
		return s
	}
	return s[:i+3] + user + ":" + Redacted(pass) + s[i+3+at:]
}

// redactParams redacts values in an application/x-www-form-urlencoded
// string, keeping order, duplicates and the encoding of everything else.
func redactParams(s string) string {
	parts := strings.Split(s, "&")
	for i, p := range parts {
		k, v, ok := strings.Cut(p, "=")
		if !ok || v == "" {
			continue
		}
		name, err := url.QueryUnescape(k)
		if err != nil {
			name = k
		}
		if !SensitiveParam(name) {
			continue
		}
		// Fingerprint the decoded value so it matches the same value seen
		// in a JSON body.
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		parts[i] = k + "=" + Redacted(v)
	}
	return strings.Join(parts, "&")
}

// RedactBody returns a body fit for a report. JSON (by media type, or by its
// look when the type is missing or wrong) has sensitive members redacted at
// any depth with the rest kept byte for byte, duplicates included; form
// bodies have sensitive parameters redacted; anything else (HTML pages that
// show a code, text, broken JSON) gets a best-effort pattern pass.
func RedactBody(contentType string, body []byte) string {
	mt := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	trimmed := bytes.TrimSpace(body)
	looksJSON := len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || (looksJSON && mt != "application/x-www-form-urlencoded"):
		if s, ok := redactJSON(body); ok {
			return s
		}
		return redactText(string(body))
	case mt == "application/x-www-form-urlencoded":
		return redactParams(string(body))
	}
	return redactText(string(body))
}

// redactJSON replaces the values of sensitive members in place, locating
// them through the decoder's token offsets so the original bytes survive
// (a re-encoding would hide duplicate members and number spellings, the very
// things some checks report). It fails on invalid JSON.
func redactJSON(body []byte) (string, bool) {
	type frame struct {
		object  bool
		wantKey bool
		key     string
		// sensitive: the container is (inside) the value of a sensitive
		// member, so every scalar in it is redacted.
		sensitive bool
	}
	type span struct {
		start, end int
		value      string
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	var stack []frame
	var spans []span
	for {
		before := int(dec.InputOffset())
		tok, err := dec.Token()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", false
		}
		var top *frame
		if len(stack) > 0 {
			top = &stack[len(stack)-1]
		}
		if d, ok := tok.(json.Delim); ok {
			switch d {
			case '{', '[':
				sens := top != nil && (top.sensitive || (top.object && !top.wantKey && SensitiveParam(top.key)))
				stack = append(stack, frame{object: d == '{', wantKey: d == '{', sensitive: sens})
			default:
				stack = stack[:len(stack)-1]
				if len(stack) > 0 && stack[len(stack)-1].object {
					stack[len(stack)-1].wantKey = true
				}
			}
			continue
		}
		if top != nil && top.object && top.wantKey {
			top.key, top.wantKey = tok.(string), false
			continue
		}
		if top == nil {
			continue
		}
		sensitive := top.sensitive
		if top.object {
			top.wantKey = true
			sensitive = sensitive || SensitiveParam(top.key)
		}
		var v string
		switch t := tok.(type) {
		case string:
			v = t
		case json.Number:
			v = t.String()
		default:
			continue
		}
		if sensitive && v != "" {
			// The value starts after the separators and blanks before it;
			// InputOffset is the end of the value.
			start := before + bytes.IndexFunc(body[before:], func(r rune) bool {
				return r != ':' && r != ',' && r != '[' && r != ' ' && r != '\t' && r != '\n' && r != '\r'
			})
			spans = append(spans, span{start, int(dec.InputOffset()), v})
		}
	}
	var b strings.Builder
	last := 0
	for _, s := range spans {
		b.Write(body[last:s.start])
		b.WriteString(`"` + Redacted(s.value) + `"`)
		last = s.end
	}
	b.Write(body[last:])
	return b.String(), true
}

var (
	// name=value in text, HTML (a page showing "code=…") or a form.
	paramPattern = regexp.MustCompile(`(?i)\b(client_secret|password|access_token|refresh_token|code|code_verifier|client_assertion|assertion|token|id_token)=([^&\s"'<>#;]+)`)
	// "name": "value" in text that is not valid JSON (e.g. truncated).
	memberPattern = regexp.MustCompile(`(?i)"(client_secret|password|access_token|refresh_token|code|code_verifier|client_assertion|assertion|token|id_token)"(\s*:\s*)"((?:[^"\\]|\\.)*)"`)
)

func redactText(s string) string {
	s = memberPattern.ReplaceAllStringFunc(s, func(m string) string {
		g := memberPattern.FindStringSubmatch(m)
		if g[3] == "" {
			return m
		}
		return `"` + g[1] + `"` + g[2] + `"` + Redacted(g[3]) + `"`
	})
	return paramPattern.ReplaceAllStringFunc(s, func(m string) string {
		g := paramPattern.FindStringSubmatch(m)
		if strings.HasPrefix(g[2], redactedPrefix) {
			return m
		}
		v := g[2]
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		return g[1] + "=" + Redacted(v)
	})
}
