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
	"html"
	"io"
	"net/url"
	"strings"
)

// Redaction keeps credentials and tokens out of failure reports, which end
// up in CI logs and bug trackers. Here, by name: the values of sensitive
// parameters, members, headers and HTML fields. Then every rendering scrubs,
// by value, each secret the harness knows of, wherever an echo put it
// (secrets.go).
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
	"device_code":      true,
	// The login and consent forms' own: whoever holds them can finish the
	// user's authorization.
	"pending_request": true,
	"csrf_token":      true,
}

// SensitiveParam reports whether values of the parameter or JSON member are
// redacted.
func SensitiveParam(name string) bool { return sensitiveParams[strings.ToLower(name)] }

// marks say what replaces a value found by name: its fingerprint when
// rendering, or, when harvesting an exchange for the scrubber (secrets.go),
// a note of the value. member is used for JSON members, param for the rest.
type marks struct {
	param, member func(name, value string) string
}

func redactMark(_, v string) string { return Redacted(v) }

var redacting = marks{param: redactMark, member: redactMark}

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
func RedactHeader(name, value string) string { return redactHeader(name, value, redacting) }

func redactHeader(name, value string, m marks) string {
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
		return redactURL(value, m)
	}
	return value
}

// RedactURL redacts sensitive parameters in the query and fragment (codes
// and implicit-grant tokens arrive there) and a password in the userinfo.
// Everything else is kept byte for byte.
func RedactURL(raw string) string { return redactURL(raw, redacting) }

func redactURL(raw string, m marks) string {
	rest, frag, hasFrag := strings.Cut(raw, "#")
	rest, query, hasQuery := strings.Cut(rest, "?")
	out := redactUserinfo(rest, m)
	if hasQuery {
		out += "?" + redactParams(query, m)
	}
	if hasFrag {
		out += "#" + redactParams(frag, m)
	}
	return out
}

func redactUserinfo(s string, m marks) string {
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
	return s[:i+3] + user + ":" + m.param("password", pass) + s[i+3+at:]
}

// redactParams redacts values in an application/x-www-form-urlencoded
// string, keeping order, duplicates and the encoding of everything else.
func redactParams(s string, m marks) string {
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
		parts[i] = k + "=" + m.param(name, v)
	}
	return strings.Join(parts, "&")
}

// RedactBody returns a body fit for a report. JSON (by media type, or by its
// look when the type is missing or wrong) has sensitive members redacted at
// any depth with the rest kept byte for byte, duplicates included; form
// bodies have sensitive parameters redacted; anything else (HTML pages that
// show a code, text, broken JSON) gets a best-effort pattern pass.
func RedactBody(contentType string, body []byte) string {
	return redactBody(contentType, body, redacting)
}

func redactBody(contentType string, body []byte, m marks) string {
	mt := strings.ToLower(strings.TrimSpace(strings.SplitN(contentType, ";", 2)[0]))
	trimmed := bytes.TrimSpace(body)
	looksJSON := len(trimmed) > 0 && (trimmed[0] == '{' || trimmed[0] == '[')
	switch {
	case mt == "application/json" || strings.HasSuffix(mt, "+json") || (looksJSON && mt != "application/x-www-form-urlencoded"):
		if s, ok := redactJSON(body, m); ok {
			return s
		}
		return redactText(string(body), m)
	case mt == "application/x-www-form-urlencoded":
		return redactParams(string(body), m)
	}
	return redactText(string(body), m)
}

// redactJSON replaces the values of sensitive members in place, locating
// them through the decoder's token offsets so the original bytes survive
// (a re-encoding would hide duplicate members and number spellings, the very
// things some checks report). It fails on invalid JSON.
func redactJSON(body []byte, m marks) (string, bool) {
	type frame struct {
		object  bool
		wantKey bool
		key     string
		// sensitive: the container is (inside) the value of a sensitive
		// member, owner, so every scalar in it is redacted.
		sensitive bool
		owner     string
	}
	type span struct {
		start, end  int
		name, value string
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
				f := frame{object: d == '{', wantKey: d == '{', sensitive: sens}
				if sens {
					f.owner = top.owner
					if !top.sensitive {
						f.owner = top.key
					}
				}
				stack = append(stack, f)
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
		sensitive, name := top.sensitive, top.owner
		if top.object {
			top.wantKey = true
			if !sensitive {
				sensitive, name = SensitiveParam(top.key), top.key
			}
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
			spans = append(spans, span{start, int(dec.InputOffset()), name, v})
		}
	}
	var b strings.Builder
	last := 0
	for _, s := range spans {
		b.Write(body[last:s.start])
		b.WriteString(`"` + m.member(s.name, s.value) + `"`)
		last = s.end
	}
	b.Write(body[last:])
	return b.String(), true
}

// sensitiveStems: every sensitive name (and csrf-token) contains one.
var sensitiveStems = []string{"code", "token", "secret", "password", "assertion", "pending_request"}

// mentionsSensitive reports whether s may name a sensitive value, in any
// (ASCII) case. Most bodies name none, and this one pass costs far less
// than parsing them.
func mentionsSensitive[T string | []byte](s T) bool {
	for i := 0; i < len(s); i++ {
		switch s[i] | 0x20 { // the stems' first letters, in either case
		case 'c', 't', 's', 'p', 'a':
			for _, st := range sensitiveStems {
				if len(s)-i >= len(st) && hasStemAt(s, i, st) {
					return true
				}
			}
		}
	}
	return false
}

func hasStemAt[T string | []byte](s T, i int, stem string) bool {
	for k := 0; k < len(stem); k++ {
		c := s[i+k]
		if c >= 'A' && c <= 'Z' {
			c += 'a' - 'A'
		}
		if c != stem[k] {
			return false
		}
	}
	return true
}

// redactText redacts what text, HTML or broken JSON shows by name:
// "name": "value" members, name=value pairs (a page showing "code=…", a
// link), and HTML values and texts named so.
func redactText(s string, m marks) string {
	if !mentionsSensitive(s) {
		return s
	}
	s = redactMembers(s, m)
	s = redactPairs(s, m)
	if strings.Contains(s, "<") {
		s = redactHTML(s, m)
	}
	return s
}

// redactMembers redacts "name": "value" where name is sensitive (in any
// case), in text that is not valid JSON (e.g. truncated). Scans rather than
// patterns, as redactPairs.
func redactMembers(s string, m marks) string {
	var b strings.Builder
	last := 0
	for i := 0; ; {
		q := strings.IndexByte(s[i:], '"')
		if q < 0 {
			break
		}
		q += i
		e := strings.IndexByte(s[q+1:], '"')
		if e < 0 {
			break
		}
		e += q + 1
		i = q + 1
		name := s[q+1 : e]
		if !SensitiveParam(name) {
			continue
		}
		j := skipSpace(s, e+1)
		if j >= len(s) || s[j] != ':' {
			continue
		}
		j = skipSpace(s, j+1)
		if j >= len(s) || s[j] != '"' {
			continue
		}
		k := j + 1
		for k < len(s) && s[k] != '"' {
			if s[k] == '\\' {
				k++
			}
			k++
		}
		if k >= len(s) {
			continue // no end: not a member
		}
		i = k + 1
		if v := s[j+1 : k]; v != "" {
			b.WriteString(s[last : j+1])
			b.WriteString(m.member(strings.ToLower(name), v))
			last = k
		}
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func skipSpace(s string, i int) int {
	for i < len(s) && isSpace(s[i]) {
		i++
	}
	return i
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r' }

// pairValueEnd: the characters that end the value of a name=value pair in
// text.
const pairValueEnd = "&\t\n\f\r \"'<>#;"

// redactPairs redacts name=value where name is sensitive (in any case) and
// starts a word: "code=…" and "?code=…" but not "xcode=…". A scan, not a
// pattern: a case-insensitive alternation behind a word boundary costs
// Go's regexp a microsecond a byte.
func redactPairs(s string, m marks) string {
	var b strings.Builder
	last := 0
	for i := 0; ; {
		eq := strings.IndexByte(s[i:], '=')
		if eq < 0 {
			break
		}
		eq += i
		i = eq + 1
		start := eq
		for start > 0 && isWordChar(s[start-1]) {
			start--
		}
		name := s[start:eq]
		if !SensitiveParam(name) {
			continue
		}
		end := eq + 1
		for end < len(s) && strings.IndexByte(pairValueEnd, s[end]) < 0 {
			end++
		}
		v := s[eq+1 : end]
		if v == "" || strings.HasPrefix(v, redactedPrefix) {
			continue
		}
		if dv, err := url.QueryUnescape(v); err == nil {
			v = dv
		}
		b.WriteString(s[last : eq+1])
		b.WriteString(m.param(strings.ToLower(name), v))
		last, i = end, end
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isWordChar(c byte) bool { return c == '_' || isAlnum(c) }

// valueTags carry a value in an attribute: <input name="code" value="…">,
// <meta name="csrf-token" content="…">.
var valueTags = map[string]bool{"input": true, "meta": true, "button": true, "option": true, "param": true, "data": true}

// voidElements have no text: what follows <img id="code"> is the page's.
var voidElements = map[string]bool{"input": true, "meta": true, "br": true, "hr": true, "img": true, "link": true, "param": true, "source": true, "wbr": true}

// redactHTML redacts, in each tag naming a sensitive value, its value
// attribute (valueTags) or the text that follows it: <code id="code">…</code>
// (the mock's out-of-band page), <span class="access_token">…</span>.
func redactHTML(s string, m marks) string {
	var b strings.Builder
	last := 0
	for i := 0; ; {
		lt := strings.IndexByte(s[i:], '<')
		if lt < 0 {
			break
		}
		lt += i
		gt := strings.IndexByte(s[lt:], '>')
		if gt < 0 {
			break
		}
		end := lt + gt + 1
		i = end
		tag := s[lt:end]
		name := tagName(tag)
		if name == "" || !mentionsSensitive(tag) {
			continue
		}
		if valueTags[name] {
			if r := redactValueTag(tag, m); r != tag {
				b.WriteString(s[last:lt])
				b.WriteString(r)
				last = end
			}
			continue
		}
		what := sensitiveIdentity(tag)
		if what == "" || voidElements[name] {
			continue
		}
		next := strings.IndexByte(s[end:], '<')
		if next < 0 {
			next = len(s)
		} else {
			next += end
		}
		text := s[end:next]
		v := strings.TrimSpace(text)
		if v == "" || strings.HasPrefix(v, redactedPrefix) {
			continue
		}
		lead := strings.Index(text, v)
		b.WriteString(s[last:end])
		b.WriteString(text[:lead])
		b.WriteString(m.param(what, html.UnescapeString(v)))
		b.WriteString(text[lead+len(v):])
		last, i = next, next
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

// tagName is the lower-cased element name of an opening tag, "" for a
// closing tag, a comment or a declaration.
func tagName(tag string) string {
	n := 1
	for n < len(tag) && isAlnum(tag[n]) {
		n++
	}
	return strings.ToLower(tag[1:n])
}

// attr is an attribute of a tag: its name, lower-cased, and where its value
// lies in the tag.
type attr struct {
	name       string
	start, end int
}

// attrs parses the attributes of an opening tag, values quoted with " or '
// or not at all.
func attrs(tag string) []attr {
	var out []attr
	i := 1 + len(tagName(tag))
	for i < len(tag) {
		for i < len(tag) && (isSpace(tag[i]) || tag[i] == '/') {
			i++
		}
		n := i
		for i < len(tag) && !isSpace(tag[i]) && strings.IndexByte("=/>", tag[i]) < 0 {
			i++
		}
		if i == n {
			break // '>' or '=' without a name
		}
		a := attr{name: strings.ToLower(tag[n:i]), start: i, end: i}
		j := skipSpace(tag, i)
		if j < len(tag) && tag[j] == '=' {
			j = skipSpace(tag, j+1)
			if j < len(tag) && (tag[j] == '"' || tag[j] == '\'') {
				e := strings.IndexByte(tag[j+1:], tag[j])
				if e < 0 {
					e = len(tag) - j - 1
				}
				a.start, a.end, i = j+1, j+1+e, j+2+e
			} else {
				e := j
				for e < len(tag) && !isSpace(tag[e]) && tag[e] != '>' {
					e++
				}
				a.start, a.end, i = j, e, e
			}
		}
		out = append(out, a)
	}
	return out
}

// sensitiveIdentity returns the sensitive name a tag's id, name or one of
// its classes gives (csrf-token spelled csrf_token), or "".
func sensitiveIdentity(tag string) string {
	for _, a := range attrs(tag) {
		if a.name != "id" && a.name != "name" && a.name != "class" {
			continue
		}
		vals := []string{tag[a.start:a.end]}
		if a.name == "class" {
			vals = strings.Fields(vals[0])
		}
		for _, v := range vals {
			if n := strings.ReplaceAll(strings.ToLower(v), "-", "_"); SensitiveParam(n) {
				return n
			}
		}
	}
	return ""
}

// redactValueTag redacts the value (or content) attribute of a tag whose
// name or id is sensitive.
func redactValueTag(tag string, m marks) string {
	as := attrs(tag)
	name := ""
	for _, a := range as {
		if a.name == "name" || a.name == "id" {
			if n := strings.ReplaceAll(strings.ToLower(tag[a.start:a.end]), "-", "_"); SensitiveParam(n) {
				name = n
			}
		}
	}
	if name == "" {
		return tag
	}
	var b strings.Builder
	last := 0
	for _, a := range as {
		v := tag[a.start:a.end]
		if a.name != "value" && a.name != "content" || v == "" || strings.HasPrefix(v, redactedPrefix) {
			continue
		}
		b.WriteString(tag[last:a.start])
		b.WriteString(m.param(name, html.UnescapeString(v)))
		last = a.end
	}
	b.WriteString(tag[last:])
	return b.String()
}
