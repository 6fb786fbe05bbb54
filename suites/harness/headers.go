package harness

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// MediaType returns the Content-Type media type, lower-cased and without
// parameters: "application/json; charset=UTF-8" is "application/json"
// (RFC 6749 erratum 4679 allows the charset).
func MediaType(h http.Header) string {
	mt, _, _ := strings.Cut(h.Get("Content-Type"), ";")
	return strings.ToLower(strings.TrimSpace(mt))
}

// HasDirective reports whether a comma-separated header (Cache-Control,
// Pragma), possibly sent as several lines, holds the directive. Names
// compare case-insensitively and arguments are ignored, so "no-store" is
// found in "private, No-Store, max-age=0".
func HasDirective(headerValues []string, directive string) bool {
	for _, line := range headerValues {
		for _, d := range strings.Split(line, ",") {
			name, _, _ := strings.Cut(d, "=")
			if strings.EqualFold(strings.TrimSpace(name), directive) {
				return true
			}
		}
	}
	return false
}

// AuthScheme returns the first auth-scheme of a WWW-Authenticate value as
// sent ("Basic" in `Basic realm="x"`). Compare it with strings.EqualFold,
// or use [HasAuthScheme]: schemes are case-insensitive (RFC 9110 §11.1).
func AuthScheme(wwwAuthenticate string) string {
	s := authSchemes([]string{wwwAuthenticate})
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

// HasAuthScheme reports whether any challenge in the WWW-Authenticate
// lines uses the scheme, case-insensitively. A server may send several
// challenges, in one line or several (RFC 9110 §11.6.1).
func HasAuthScheme(headerValues []string, scheme string) bool {
	for _, s := range authSchemes(headerValues) {
		if strings.EqualFold(s, scheme) {
			return true
		}
	}
	return false
}

// authSchemes splits challenges: after a comma outside quotes, an element
// whose first word carries no "=" starts a new challenge; others are
// auth-params of the current one.
func authSchemes(lines []string) []string {
	var out []string
	for _, line := range lines {
		for _, el := range splitOutsideQuotes(line) {
			el = strings.TrimSpace(el)
			if el == "" {
				continue
			}
			word, _, _ := strings.Cut(el, " ")
			if !strings.Contains(word, "=") {
				out = append(out, word)
			}
		}
	}
	return out
}

func splitOutsideQuotes(s string) []string {
	var parts []string
	quoted, escaped, start := false, false, 0
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case escaped:
			escaped = false
		case c == '\\' && quoted:
			escaped = true
		case c == '"':
			quoted = !quoted
		case c == ',' && !quoted:
			parts = append(parts, s[start:i])
			start = i + 1
		}
	}
	return append(parts, s[start:])
}

// CharsetError locates the first character outside an RFC 6749 character
// set.
type CharsetError struct {
	Field   string
	Offset  int // byte offset
	Char    rune
	Allowed string // the ABNF set
}

func (e *CharsetError) Error() string {
	if e.Offset < 0 {
		return fmt.Sprintf("%s is empty; the syntax is 1*( %s )", e.Field, e.Allowed)
	}
	return fmt.Sprintf("%s: character %q (U+%04X) at byte %d is outside %s", e.Field, e.Char, e.Char, e.Offset, e.Allowed)
}

const (
	setNQSChar = "%x20-21 / %x23-5B / %x5D-7E"
	setNQChar  = "%x21 / %x23-5B / %x5D-7E"
	setVSChar  = "%x20-7E"
)

// checkChars reports the first rune of s not in the set. Sets are ASCII, so
// any multi-byte rune is outside; reporting the rune, not its first byte,
// makes "é" readable in a report.
func checkChars(field, allowed string, s string, nonEmpty bool, ok func(byte) bool) error {
	if s == "" {
		if nonEmpty {
			return &CharsetError{Field: field, Offset: -1, Allowed: allowed}
		}
		return nil
	}
	for i, r := range s {
		if r >= 0x80 || !ok(byte(r)) {
			return &CharsetError{Field: field, Offset: i, Char: r, Allowed: allowed}
		}
	}
	return nil
}

func nqschar(c byte) bool { return c >= 0x20 && c <= 0x7e && c != '"' && c != '\\' }
func nqchar(c byte) bool  { return c >= 0x21 && c <= 0x7e && c != '"' && c != '\\' }
func vschar(c byte) bool  { return c >= 0x20 && c <= 0x7e }

// CheckErrorCode checks an "error" value: 1*( %x20-21 / %x23-5B / %x5D-7E )
// (RFC 6749 §5.2, App. A.7).
func CheckErrorCode(s string) error { return checkChars("error", setNQSChar, s, true, nqschar) }

// CheckErrorDescription checks an "error_description" value against
// %x20-21 / %x23-5B / %x5D-7E (App. A.8). TAB, CR and LF fail; a spec that
// only warns on them (assertions.md §4.19) can strip them and check again.
// An empty value passes: A.8 says 1*, but an empty description harms no
// client and the error-response schema lets it through too.
func CheckErrorDescription(s string) error {
	return checkChars("error_description", setNQSChar, s, false, nqschar)
}

// CheckErrorURI checks an "error_uri" value: a URI-reference within
// %x21 / %x23-5B / %x5D-7E (App. A.9).
func CheckErrorURI(s string) error {
	if err := checkChars("error_uri", setNQChar, s, false, nqchar); err != nil {
		return err
	}
	if _, err := url.Parse(s); err != nil {
		return fmt.Errorf("error_uri is not a URI-reference: %w", err)
	}
	return nil
}

// CheckVSChar checks a token value (access_token, refresh_token, code):
// 1*VSCHAR, VSCHAR = %x20-7E (App. A.12, A.17, A.11).
func CheckVSChar(field, s string) error { return checkChars(field, setVSChar, s, true, vschar) }

// CheckScopeToken checks one scope-token: 1*( %x21 / %x23-5B / %x5D-7E )
// (RFC 6749 §3.3).
func CheckScopeToken(s string) error { return checkChars("scope-token", setNQChar, s, true, nqchar) }

// CheckScope checks a scope value: scope-tokens separated by single spaces.
func CheckScope(s string) error {
	for i, tok := range strings.Split(s, " ") {
		if err := CheckScopeToken(tok); err != nil {
			if tok == "" {
				return fmt.Errorf("scope %q: empty scope-token at position %d (leading, trailing or double space)", s, i)
			}
			return fmt.Errorf("scope %q: %w", s, err)
		}
	}
	return nil
}

// ScopeSet returns the scope-tokens of a space-separated scope as a set;
// order and repeated spaces do not matter (RFC 6749 §3.3).
func ScopeSet(s string) map[string]bool {
	set := map[string]bool{}
	for _, tok := range strings.Split(s, " ") {
		if tok != "" {
			set[tok] = true
		}
	}
	return set
}

// SameScopes reports whether two scope values name the same set.
func SameScopes(a, b string) bool {
	return SubsetScopes(a, b) && SubsetScopes(b, a)
}

// SubsetScopes reports whether every scope-token of sub is in super, e.g.
// a refreshed scope within the original grant.
func SubsetScopes(sub, super string) bool {
	have := ScopeSet(super)
	for tok := range ScopeSet(sub) {
		if !have[tok] {
			return false
		}
	}
	return true
}
