package harness

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"html"
	"maps"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"unicode/utf8"
)

// Scrubbing by value. Name-based redaction (redact.go) only sees a secret
// where it stands under its own name; a target that echoes what it received
// (in an error_description, a header, an HTML page) writes it anywhere. So
// every rendering also replaces, by value, each secret the harness holds:
// those of the configuration (RegisterSecret, RegisterClientSecret) and every
// credential, code or token an exchange of the harness carried by name
// (Exchange.RegisterSecrets, done by Client.Do). Each value is looked for in
// the encodings an echo may give it (see encodings) and replaced by its
// fingerprint, the same one name-based redaction shows.
//
// How long a value must be, so that scrubbing it does not shred the evidence:
//   - minScrubLen (8) or more: replaced wherever it occurs. Codes and tokens
//     of any compliant server are far longer (RFC 6749 §10.10 asks for them
//     to be unguessable).
//   - shorter, for a secret of the configuration of at least
//     minShortSecretLen (4): replaced only where it stands alone, between
//     characters that are not ASCII letters or digits ("secret abcd." but not
//     "abcdef"): a configured secret is a secret however short, but as a
//     bare substring it would rewrite ordinary words.
//   - shorter still, or a short value seen in an exchange (a probe's "c0de",
//     whatever a hostile target calls a token): redacted by name only.
//
// A value seen in an exchange longer than maxTokenLen is redacted by name
// only too: the Replacer compares, at each position of the text, as much of
// it as the longest registered form, so a hostile target issuing megabyte
// tokens would make each rendering cost seconds. Real tokens, JWTs with many
// claims included, are a few KiB.
const (
	minScrubLen       = 8
	minShortSecretLen = 4
	maxTokenLen       = 16 << 10
)

// secrets holds every value the renderings scrub; the specs of a run share
// it, also when they run in parallel.
var secrets = newSecretSet()

// RegisterSecret registers a secret of the configuration (a password, an
// API key, a header value) for scrubbing by value.
func RegisterSecret(v string) { secrets.addConfigured(v) }

// RegisterClientSecret registers a client's secret and the HTTP Basic
// credentials made of it (RFC 6749 §2.3.1 form-encodes id and secret before
// the base64; servers that skip that step get them unencoded, so both).
func RegisterClientSecret(id, secret string) { secrets.addClient(id, secret) }

// RegisterToken registers a code, token or other credential the harness sent
// or received: scrubbed by value when minScrubLen to maxTokenLen long.
func RegisterToken(v string) { secrets.addToken(v) }

// Scrub replaces every registered secret in s, in each of its encodings, by
// its fingerprint. Renderings of evidence do it after name-based redaction;
// use it on any other text a report shows.
func Scrub(s string) string { return secrets.scrubber().scrub(s) }

// RegisterSecrets registers every credential, code and token the exchange
// carries by name: in its URL, its headers (Authorization, cookies, API keys,
// Location) and its bodies. Client.Do calls it; an exchange built by hand
// (a driver's) may.
func (x *Exchange) RegisterSecrets() { secrets.harvest(x) }

// harvested stands for a value in a harvest's (discarded) rendering.
const harvested = redactedPrefix + "]"

func (s *secretSet) harvest(x *Exchange) {
	if x == nil {
		return
	}
	note := func(_, v string) string {
		s.addToken(v)
		return harvested
	}
	sent := marks{param: note, member: note}
	// In a response a JSON member named code is mostly an error code
	// ({"error":{"code":"InvalidRequest"}}), which scrubbed would blank out
	// the very evidence; codes reach the client in a redirect or a page.
	received := marks{param: note, member: func(name, v string) string {
		if name == "code" {
			return harvested
		}
		return note(name, v)
	}}
	redactURL(x.URL, sent)
	s.harvestHeaders(x.RequestHeader, sent)
	s.harvestHeaders(x.Header, received)
	// A body naming nothing sensitive is not parsed. (Rendering parses
	// every JSON body, so a member name spelled with escapes is still
	// redacted there, if not harvested here.)
	if mentionsSensitive(x.RequestBody) {
		redactBody(x.RequestHeader.Get("Content-Type"), x.RequestBody, sent)
	}
	if mentionsSensitive(x.Body) {
		redactBody(x.Header.Get("Content-Type"), x.Body, received)
	}
}

func (s *secretSet) harvestHeaders(h http.Header, m marks) {
	for k, vs := range h {
		n := strings.ToLower(k)
		for _, v := range vs {
			switch {
			case n == "authorization" || n == "proxy-authorization":
				s.harvestAuthorization(v)
			case n == "cookie":
				if cs, err := http.ParseCookie(v); err == nil {
					for _, c := range cs {
						s.addToken(c.Value)
					}
				}
			case n == "set-cookie":
				if c, err := http.ParseSetCookie(v); err == nil {
					s.addToken(c.Value)
				}
			case sensitiveHeader(n):
				s.addToken(v)
			default:
				redactHeader(k, v, m) // Location and the like
			}
		}
	}
}

// harvestAuthorization notes the credentials, and of Basic ones the secret
// as sent and form-decoded.
func (s *secretSet) harvestAuthorization(v string) {
	scheme, cred, ok := strings.Cut(v, " ")
	if !ok {
		s.addToken(v)
		return
	}
	cred = strings.TrimSpace(cred)
	s.addToken(cred)
	if !strings.EqualFold(scheme, "basic") {
		return
	}
	raw, err := base64.StdEncoding.DecodeString(cred)
	if err != nil {
		return
	}
	if _, secret, ok := strings.Cut(string(raw), ":"); ok {
		// Decoded first: its fingerprint then stands for the encoded form
		// too, as in name-based redaction.
		if d, err := url.QueryUnescape(secret); err == nil {
			s.addToken(d)
		}
		s.addToken(secret)
	}
}

// protocolWords are values of sensitive-looking members that are no secret
// (an echo's "token": "invalid_token"); never scrubbed, or the evidence
// would lose its error codes.
var protocolWords = map[string]bool{}

func init() {
	for _, w := range []string{
		"invalid_request", "invalid_client", "invalid_grant", "unauthorized_client", "unsupported_grant_type",
		"invalid_scope", "access_denied", "unsupported_response_type", "server_error", "temporarily_unavailable",
		"invalid_token", "insufficient_scope", "unsupported_token_type", "authorization_pending", "expired_token",
		"slow_down", "invalid_redirect_uri", "login_required", "consent_required", "interaction_required",
		"authorization_code", "client_credentials", "refresh_token", "access_token", "implicit", "password",
		"urn:ietf:params:oauth:grant-type:device_code", "urn:ietf:params:oauth:grant-type:jwt-bearer",
		"client_secret_basic", "client_secret_post", "unauthorized", "forbidden", "not_found", "undefined",
	} {
		protocolWords[w] = true
	}
}

// secretSet is the registry: every encoding of every value, mapped to what
// replaces it. A change drops the compiled scrubber; the next rendering
// builds another, so a rendering never misses a value registered before it.
//
// A run registers tokens all along and renders (a Saw, a skip, a failure)
// between them, so rebuilding one Replacer of everything at each change
// would cost the square of the registry's size. Instead the forms live in
// levels, oldest first, each replaced in turn: Replacers whose sizes at
// least double from each to the one before, then the forms registered since
// (at most mergeAt, replaced one by one with strings.ReplaceAll, nothing to
// compile). Those become a new level once there are mergeAt of them, and a
// level is merged into the one before while not half its size, as in a
// binary counter: a form is compiled O(log n) times, and a rendering makes
// O(log n) passes. A new form that contains a form of an earlier level
// (whose pass would break it up) merges every level into one at once.
type secretSet struct {
	mu sync.Mutex
	// levels and recent: forms replaced wherever they occur; short: only
	// where they stand alone.
	levels           []level
	recent, short    map[string]string
	seen             map[string]struct{} // values added
	merge            bool
	maxLen           int
	cur              atomic.Pointer[scrubber]
	compiled, builds atomic.Int64 // for tests
}

type level struct {
	forms map[string]string
	r     *strings.Replacer
}

const mergeAt = 64

func newSecretSet() *secretSet {
	return &secretSet{recent: map[string]string{}, short: map[string]string{}, seen: map[string]struct{}{}}
}

func (s *secretSet) addConfigured(v string) {
	if len(v) < minShortSecretLen {
		return
	}
	s.add(v, encodings, true)
}

func (s *secretSet) addToken(v string) {
	v = strings.TrimSpace(v)
	if len(v) < minScrubLen || len(v) > maxTokenLen || strings.Contains(v, "REDACTED") || protocolWords[strings.ToLower(v)] {
		return
	}
	s.add(v, encodings, false)
}

func (s *secretSet) addClient(id, secret string) {
	s.addConfigured(secret)
	if secret == "" {
		return
	}
	for _, p := range [][2]string{{id, secret}, {url.QueryEscape(id), url.QueryEscape(secret)}} {
		b := base64.StdEncoding.EncodeToString([]byte(p[0] + ":" + p[1]))
		// Fingerprinted as name-based redaction does the Authorization
		// header; unpadded too, the form some echoes trim to.
		s.add(b, func(b string) []string { return []string{b, strings.TrimRight(b, "=")} }, false)
	}
}

// add registers the forms of v as replaced by Redacted(v). Forms shorter
// than minScrubLen are kept only when short matching is allowed (a
// configured secret). Most values come again and again (a token in every
// request): those return at once.
func (s *secretSet) add(v string, forms func(string) []string, allowShort bool) {
	key := v
	if allowShort {
		key = "\x00" + v // also its short forms
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.seen[key]; ok {
		return
	}
	s.seen[key] = struct{}{}
	repl, changed := Redacted(v), false
	for _, f := range forms(v) {
		if len(f) < minShortSecretLen || len(f) < minScrubLen && !allowShort {
			continue
		}
		if s.has(f) {
			continue
		}
		changed = true
		if len(f) < minScrubLen {
			s.short[f] = repl
			continue
		}
		s.recent[f] = repl
		s.maxLen = max(s.maxLen, len(f))
		for _, l := range s.levels {
			if l.r.Replace(f) != f {
				s.merge = true
			}
		}
	}
	if changed {
		s.cur.Store(nil)
	}
}

// scrubber returns the compiled form of the registry as it is now.
func (s *secretSet) scrubber() *scrubber {
	if sc := s.cur.Load(); sc != nil {
		return sc
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if sc := s.cur.Load(); sc != nil {
		return sc
	}
	if s.merge || len(s.recent) >= mergeAt {
		s.levels = append(s.levels, level{forms: s.recent})
		s.recent = map[string]string{}
		n := len(s.levels)
		for n >= 2 && (s.merge || len(s.levels[n-2].forms) < 2*len(s.levels[n-1].forms)) {
			maps.Copy(s.levels[n-2].forms, s.levels[n-1].forms)
			s.levels[n-2].r = nil
			s.levels, n = s.levels[:n-1], n-1
		}
		s.merge = false
		if l := &s.levels[n-1]; l.r == nil {
			l.r = s.compile(l.forms)
		}
	}
	sc := &scrubber{recent: sortedPairs(s.recent), short: sortedPairs(s.short), maxLen: s.maxLen}
	for _, l := range s.levels {
		sc.levels = append(sc.levels, l.r)
	}
	s.builds.Add(1)
	s.cur.Store(sc)
	return sc
}

func (s *secretSet) has(f string) bool {
	for _, l := range s.levels {
		if _, ok := l.forms[f]; ok {
			return true
		}
	}
	_, recent := s.recent[f]
	_, short := s.short[f]
	return recent || short
}

// compile builds the Replacer of m at once, not in the first rendering that
// uses it.
func (s *secretSet) compile(m map[string]string) *strings.Replacer {
	s.compiled.Add(int64(len(m)))
	r := strings.NewReplacer(pairs(m)...)
	r.Replace("")
	return r
}

// pairs lists old, new pairs for strings.NewReplacer. At one position the
// Replacer takes the first pair that matches, so the longest come first:
// a secret that contains another is replaced whole.
func pairs(m map[string]string) []string {
	var out []string
	for _, p := range sortedPairs(m) {
		out = append(out, p[0], p[1])
	}
	return out
}

// sortedPairs lists m's form, replacement pairs longest form first.
func sortedPairs(m map[string]string) [][2]string {
	out := make([][2]string, 0, len(m))
	for k, v := range m {
		out = append(out, [2]string{k, v})
	}
	sort.Slice(out, func(i, j int) bool { return longerFirst(out[i][0], out[j][0]) })
	return out
}

func longerFirst(a, b string) bool { return len(a) > len(b) || len(a) == len(b) && a < b }

// scrubber is an immutable compiled registry. A strings.Replacer matches
// its forms in one pass over the text (a compressed trie walked from each
// position, comparing at most the longest form); the few recent and short
// forms each take one strings.Index scan.
type scrubber struct {
	levels        []*strings.Replacer
	recent, short [][2]string
	// maxLen is the longest form: scrubbing n bytes and that much more
	// replaces every secret that starts within the n.
	maxLen int
}

// scrubCut scrubs s and cuts it to n bytes (see cut), scrubbing only what
// may be shown: the cost stays bounded however long s is.
func (sc *scrubber) scrubCut(s string, n int) (string, int) {
	margin := minScrubLen
	if sc != nil {
		margin = max(sc.maxLen, margin)
	}
	head, more := cut(s, n+margin)
	head, more2 := cut(sc.scrub(head), n)
	return head, more + more2
}

func (sc *scrubber) scrub(s string) string {
	if sc == nil || s == "" {
		return s
	}
	for _, r := range sc.levels {
		s = r.Replace(s)
	}
	for _, p := range sc.recent {
		s = strings.ReplaceAll(s, p[0], p[1])
	}
	for _, p := range sc.short {
		s = replaceAlone(s, p[0], p[1])
	}
	return s
}

// replaceAlone replaces old where neither neighbour is an ASCII letter or
// digit.
func replaceAlone(s, old, repl string) string {
	var b strings.Builder
	last, from := 0, 0
	for {
		i := strings.Index(s[from:], old)
		if i < 0 {
			break
		}
		i += from
		j := i + len(old)
		if (i == 0 || !isAlnum(s[i-1])) && (j == len(s) || !isAlnum(s[j])) {
			b.WriteString(s[last:i])
			b.WriteString(repl)
			last, from = j, j
			continue
		}
		from = i + 1
	}
	if last == 0 {
		return s
	}
	b.WriteString(s[last:])
	return b.String()
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// encodings are the spellings of v an echo may show: raw; form-encoded
// (url.QueryEscape, with a space as + or %20) and path-encoded; as JSON
// string content (with and without Go's HTML-safe escapes, with "/" escaped
// as PHP does, non-ASCII as \u escapes); HTML-escaped as html,
// html/template and PHP's htmlspecialchars write it.
func encodings(v string) []string {
	q := url.QueryEscape(v)
	forms := []string{v, q, strings.ReplaceAll(q, "+", "%20"), url.PathEscape(v),
		html.EscapeString(v), templateEscaper.Replace(v), phpEscaper.Replace(v)}
	for _, escapeHTML := range []bool{false, true} {
		j := jsonContent(v, escapeHTML)
		forms = append(forms, j, strings.ReplaceAll(j, "/", `\/`))
		if !isASCII(j) {
			forms = append(forms, asciiJSON(j, "%04x"), asciiJSON(j, "%04X"))
		}
	}
	slices.Sort(forms)
	return slices.Compact(forms)
}

var (
	// html/template's escaping, which adds + to html.EscapeString's.
	templateEscaper = strings.NewReplacer(`&`, "&amp;", `'`, "&#39;", `<`, "&lt;", `>`, "&gt;", `"`, "&#34;", `+`, "&#43;")
	phpEscaper      = strings.NewReplacer(`&`, "&amp;", `'`, "&#039;", `<`, "&lt;", `>`, "&gt;", `"`, "&quot;")
)

// jsonContent is v as the content of a JSON string (without the quotes).
func jsonContent(v string, escapeHTML bool) string {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(escapeHTML)
	_ = enc.Encode(v) // a string always encodes
	out := strings.TrimSuffix(b.String(), "\n")
	return out[1 : len(out)-1]
}

// asciiJSON escapes the non-ASCII runes of JSON string content as \u
// escapes (surrogate pairs beyond the BMP), as Python's json.dumps does.
func asciiJSON(s, hex string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r < utf8.RuneSelf:
			b.WriteRune(r)
		case r > 0xFFFF:
			r -= 0x10000
			fmt.Fprintf(&b, `\u`+hex+`\u`+hex, 0xD800+(r>>10), 0xDC00+(r&0x3FF))
		default:
			fmt.Fprintf(&b, `\u`+hex, r)
		}
	}
	return b.String()
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= utf8.RuneSelf {
			return false
		}
	}
	return true
}
