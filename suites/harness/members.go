package harness

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"unicode/utf8"
)

// JSONKind is the type of a JSON value as RFC 8259 and JSON Schema name it.
type JSONKind string

// The kinds of JSON values. KindInteger is a number written as an integer.
const (
	KindString JSONKind = "string"
	KindNumber JSONKind = "number"
	// KindInteger is a number written with digits only, after an optional
	// minus: no fraction and no exponent (RFC 6749 App. A.14:
	// expires-in = 1*DIGIT), so 3600 is one and 3600.0 and 36e2 are not.
	KindInteger JSONKind = "integer"
	KindBoolean JSONKind = "boolean"
	KindArray   JSONKind = "array"
	KindObject  JSONKind = "object"
	KindNull    JSONKind = "null"
)

// Article is the kind with its indefinite article: "a string", "an integer".
func (k JSONKind) Article() string {
	switch k {
	case KindInteger, KindArray, KindObject:
		return "an " + string(k)
	}
	return "a " + string(k)
}

// KindOf returns the kind of a value decoded from JSON (by
// [DecodeJSONObject] or encoding/json): string, number, boolean, array,
// object or null; "" for a Go value JSON decoding never yields. A number is
// KindNumber; [IsKind] tells whether it is also an integer.
func KindOf(v any) JSONKind {
	switch v.(type) {
	case string:
		return KindString
	case json.Number, float64:
		return KindNumber
	case bool:
		return KindBoolean
	case []any:
		return KindArray
	case map[string]any:
		return KindObject
	case nil:
		return KindNull
	}
	return ""
}

// IsKind reports whether a decoded JSON value is of kind k; an integer is a
// number too. A json.Number is an integer when written as one (see
// [KindInteger]); a float64, whose spelling is lost, when it has no
// fractional part.
func IsKind(v any, k JSONKind) bool {
	got := KindOf(v)
	if k != KindInteger {
		return got == k
	}
	switch n := v.(type) {
	case float64:
		return n == math.Trunc(n) && !math.IsInf(n, 0)
	case json.Number:
		s := strings.TrimPrefix(string(n), "-")
		return s != "" && strings.Trim(s, "0123456789") == ""
	}
	return false
}

// LenientJSONObject is [DecodeJSONObject] without the duplicate check: a
// repeated member name (TOK-RESP-010's business) keeps its last value and
// is no error. Any other error means the body is no single JSON object.
func LenientJSONObject(body []byte) (map[string]any, error) {
	m, err := DecodeJSONObject(body)
	var dup *DuplicateKeyError
	if errors.As(err, &dup) {
		return m, nil
	}
	return m, err
}

// MemberError says why a member of a JSON object body is not what a check
// wants; the body is a JSON object (otherwise the error is the decoder's).
type MemberError struct {
	Name    string
	Present bool
	Value   any    // as decoded, when Present
	Want    string // what the check wants: "an integer", "a non-empty string"
}

func (e *MemberError) Error() string {
	if !e.Present {
		return fmt.Sprintf("no %s member", e.Name)
	}
	return fmt.Sprintf("%s is %s, want %s", e.Name, Describe(e.Value), e.Want)
}

// Describe renders a decoded JSON value for a message, with its kind: `a
// string ("bearer")`, `a number (3600)`, `an array of 2`, `an object`,
// `null`. Long strings are cut.
func Describe(v any) string {
	switch k := KindOf(v); k {
	case KindString:
		s := v.(string)
		if s == "" {
			return "an empty string"
		}
		if len(s) > 64 {
			i := 60
			for i > 0 && !utf8.RuneStart(s[i]) {
				i--
			}
			return fmt.Sprintf("a string (%q…, %d bytes)", s[:i], len(s))
		}
		return fmt.Sprintf("a string (%q)", s)
	case KindNumber:
		return fmt.Sprintf("a number (%v)", v)
	case KindBoolean:
		return fmt.Sprintf("a boolean (%v)", v)
	case KindArray:
		return fmt.Sprintf("an array of %d", len(v.([]any)))
	case KindObject:
		return "an object"
	case KindNull:
		return "null"
	}
	return fmt.Sprintf("%T", v)
}

// CheckMember checks that the body is one JSON object with the member
// name of kind k, and returns the member's value. Repeated member names are
// tolerated (the last wins). The error is the decoder's for a body that is
// no JSON object, else a *MemberError.
func CheckMember(body []byte, name string, k JSONKind) (any, error) {
	m, err := LenientJSONObject(body)
	if err != nil {
		return nil, err
	}
	v, present := m[name]
	if !present {
		return nil, &MemberError{Name: name}
	}
	if !IsKind(v, k) {
		return v, &MemberError{Name: name, Present: true, Value: v, Want: k.Article()}
	}
	return v, nil
}

// CheckNonEmptyString is [CheckMember] for a string member that must not
// be empty (access_token, token_type, error).
func CheckNonEmptyString(body []byte, name string) (string, error) {
	v, err := CheckMember(body, name, KindString)
	if err != nil {
		return "", err
	}
	s := v.(string)
	if s == "" {
		return "", &MemberError{Name: name, Present: true, Value: s, Want: "a non-empty string"}
	}
	return s, nil
}

// CodeError is an OAuth error code other than the expected ones.
type CodeError struct {
	Got  string
	Want []string
}

func (e *CodeError) Error() string {
	return fmt.Sprintf("error %q, want %s", e.Got, strings.Join(e.Want, " or "))
}

// ErrorCodeOf returns the error member of ex's body as the specs quote and
// branch on it, read leniently: the string value of "error" when the body is
// a JSON object with one, else "" (no exchange or body, not JSON, not an
// object, a non-string error). Duplicate names are not checked: the last
// wins. Whether the body is a well-formed error response is
// CheckErrorMember's and CheckOAuthError's business.
func ErrorCodeOf(ex *Exchange) string {
	var m map[string]any
	if ex == nil || json.Unmarshal(ex.Body, &m) != nil {
		return ""
	}
	s, _ := m["error"].(string)
	return s
}

// CheckErrorMember checks an OAuth error body (RFC 6749 §4.1.2.1, §5.2): a
// JSON object whose error member is a non-empty string, one of codes when
// any are given (a *CodeError otherwise). It returns the code found, also
// with a *CodeError. Status and media type are not its business.
func CheckErrorMember(body []byte, codes ...string) (string, error) {
	code, err := CheckNonEmptyString(body, "error")
	if err != nil {
		return "", err
	}
	if len(codes) > 0 && !slices.Contains(codes, code) {
		return code, &CodeError{Got: code, Want: codes}
	}
	return code, nil
}

// StatusError is a status other than an error response's.
type StatusError struct{ Status int }

func (e *StatusError) Error() string {
	return fmt.Sprintf("status %d, want a 4xx error status", e.Status)
}

// CheckOAuthError checks an OAuth error response: a 4xx status (400 or
// 401 for the token endpoint, RFC 6749 §5.2; 400, 401 or 403 for a
// protected resource, RFC 6750 §3.1) and an error body as
// [CheckErrorMember] wants (a *StatusError for the status). It returns
// the code found, as CheckErrorMember does.
func CheckOAuthError(status int, body []byte, codes ...string) (string, error) {
	code, err := CheckErrorMember(body, codes...)
	if status < 400 || status > 499 {
		return code, &StatusError{Status: status}
	}
	return code, err
}
