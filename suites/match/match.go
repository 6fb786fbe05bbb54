// Package match holds Gomega matchers over *harness.Exchange for the
// conformance specs: status, media type, header directives, OAuth error
// bodies and JSON member types. Each is a thin layer over a plain check
// function of package harness and fails with one line quoting what the
// server sent ("Cache-Control \"private\" has no no-store directive"),
// never Gomega's dump of the actual value.
//
// The actual value must be a non-nil *harness.Exchange. An exchange that
// got no response (Err set) matches nothing and is no mismatch either:
// Match returns an error, so that neither a matcher nor its negation passes
// on a timeout.
//
// Specs use them through C.Expect and C.ExpectNot (suites/dsl.go), which
// report through C.Failf; in plain Go tests gomega.Expect(ex).To(m) works
// too.
package match

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/onsi/gomega/types"

	"github.com/oauthconform/oauthconform/suites/harness"
)

// matcher adapts a test of an answered exchange to types.GomegaMatcher.
type matcher struct {
	// test reports whether ex matches, and a sentence quoting what the
	// server sent that reads as the failure: of the matcher when ex does
	// not match, of its negation when it does.
	test func(ex *harness.Exchange) (ok bool, msg string)
}

var _ types.GomegaMatcher = matcher{}

// exchange is the answered exchange in actual, or why there is none.
func exchange(actual any) (*harness.Exchange, error) {
	ex, ok := actual.(*harness.Exchange)
	switch {
	case !ok:
		return nil, fmt.Errorf("match: the actual value is %T, not a *harness.Exchange", actual)
	case ex == nil:
		return nil, errors.New("match: no exchange (nil)")
	case ex.Err != nil:
		return nil, fmt.Errorf("no response: %v", ex.Err)
	}
	return ex, nil
}

func (m matcher) Match(actual any) (bool, error) {
	ex, err := exchange(actual)
	if err != nil {
		return false, err
	}
	ok, _ := m.test(ex)
	return ok, nil
}

func (m matcher) message(actual any) string {
	ex, err := exchange(actual)
	if err != nil {
		return err.Error()
	}
	_, msg := m.test(ex)
	return msg
}

func (m matcher) FailureMessage(actual any) string { return m.message(actual) }

func (m matcher) NegatedFailureMessage(actual any) string { return m.message(actual) }

// HaveStatus matches a response with one of the status codes (at least
// one): "status 201, want 200".
func HaveStatus(codes ...int) types.GomegaMatcher {
	if len(codes) == 0 {
		panic("match.HaveStatus: no status code")
	}
	want := make([]string, len(codes))
	for i, c := range codes {
		want[i] = strconv.Itoa(c)
	}
	return matcher{func(ex *harness.Exchange) (bool, string) {
		if slices.Contains(codes, ex.Status) {
			return true, fmt.Sprintf("status %d, want a status other than %s", ex.Status, strings.Join(want, " or "))
		}
		return false, fmt.Sprintf("status %d, want %s", ex.Status, strings.Join(want, " or "))
	}}
}

// HaveMediaType matches a response whose Content-Type has the media type,
// case-insensitively and whatever its parameters (harness.MediaType):
// "Content-Type \"text/plain\", want application/json".
func HaveMediaType(mediaType string) types.GomegaMatcher {
	want := strings.ToLower(mediaType)
	return matcher{func(ex *harness.Exchange) (bool, string) {
		sent := contentType(ex)
		if ex.MediaType() == want {
			return true, fmt.Sprintf("%s, want a media type other than %s", sent, mediaType)
		}
		return false, fmt.Sprintf("%s, want %s", sent, mediaType)
	}}
}

// contentType quotes the Content-Type the server sent.
func contentType(ex *harness.Exchange) string {
	if ct := ex.Header.Values("Content-Type"); len(ct) > 0 {
		return "Content-Type " + quoteLines(ct)
	}
	return "no Content-Type"
}

// HaveHeaderDirective matches a response whose comma-separated header
// (Cache-Control, Pragma), in one line or several, holds the directive,
// case-insensitively (harness.HasDirective): "Cache-Control \"private\"
// has no no-store directive".
func HaveHeaderDirective(header, directive string) types.GomegaMatcher {
	return matcher{func(ex *harness.Exchange) (bool, string) {
		lines := ex.Header.Values(header)
		if harness.HasDirective(lines, directive) {
			return true, fmt.Sprintf("%s %s has the %s directive", header, quoteLines(lines), directive)
		}
		if len(lines) == 0 {
			return false, fmt.Sprintf("no %s header, want the %s directive", header, directive)
		}
		return false, fmt.Sprintf("%s %s has no %s directive", header, quoteLines(lines), directive)
	}}
}

// quoteLines quotes header lines as sent: "a", "b".
func quoteLines(lines []string) string {
	q := make([]string, len(lines))
	for i, l := range lines {
		q[i] = strconv.Quote(l)
	}
	return strings.Join(q, ", ")
}

// HaveErrorCode matches a response whose body is an OAuth error object: a
// JSON object with a non-empty string error member, one of codes when any
// are given (harness.CheckErrorMember). Status and media type are not
// looked at (see BeOAuthError): "error \"invalid_grant\", want
// invalid_request", "no error member", "body is not JSON: … (Content-Type
// \"text/html\")".
func HaveErrorCode(codes ...string) types.GomegaMatcher {
	return matcher{func(ex *harness.Exchange) (bool, string) {
		code, err := harness.CheckErrorMember(ex.Body, codes...)
		if err != nil {
			return false, bodyProblem(ex, err)
		}
		return true, fmt.Sprintf("error %q, %s", code, notWanted(codes))
	}}
}

// BeOAuthError matches an OAuth error response: a 4xx status and an error
// body as HaveErrorCode wants (harness.CheckOAuthError): "status 500, want
// a 4xx error status (error \"server_error\")".
func BeOAuthError(codes ...string) types.GomegaMatcher {
	return matcher{func(ex *harness.Exchange) (bool, string) {
		code, err := harness.CheckOAuthError(ex.Status, ex.Body, codes...)
		var se *harness.StatusError
		switch {
		case errors.As(err, &se) && code != "":
			return false, fmt.Sprintf("%v (error %q)", err, code)
		case errors.As(err, &se):
			return false, fmt.Sprintf("%v (no OAuth error body)", err)
		case err != nil:
			return false, fmt.Sprintf("status %d: %s", ex.Status, bodyProblem(ex, err))
		}
		return true, fmt.Sprintf("status %d with error %q, %s", ex.Status, code, notWanted(codes))
	}}
}

// notWanted completes the message of a matching error for a negation.
func notWanted(codes []string) string {
	if len(codes) == 0 {
		return "want no OAuth error"
	}
	return "want an error other than " + strings.Join(codes, " or ")
}

// HaveJSONMember matches a response whose body is one JSON object with the
// member name of the kind (harness.CheckMember; repeated member names are
// tolerated): "expires_in is a string (\"3600\"), want an integer", "no
// token_type member".
func HaveJSONMember(name string, kind harness.JSONKind) types.GomegaMatcher {
	return matcher{func(ex *harness.Exchange) (bool, string) {
		v, err := harness.CheckMember(ex.Body, name, kind)
		if err != nil {
			return false, bodyProblem(ex, err)
		}
		return true, fmt.Sprintf("%s is %s, want anything but %s", name, harness.Describe(v), kind.Article())
	}}
}

// HaveNonEmptyString is HaveJSONMember for a string member that must not be
// empty (access_token, token_type): "token_type is an empty string, want a
// non-empty string".
func HaveNonEmptyString(name string) types.GomegaMatcher {
	return matcher{func(ex *harness.Exchange) (bool, string) {
		v, err := harness.CheckNonEmptyString(ex.Body, name)
		if err != nil {
			return false, bodyProblem(ex, err)
		}
		return true, fmt.Sprintf("%s is %s, want anything but a non-empty string", name, harness.Describe(v))
	}}
}

// bodyProblem says what is wrong with a body: a member's or code's error
// as is, a body that is no JSON object with the media type it came as.
func bodyProblem(ex *harness.Exchange, err error) string {
	var me *harness.MemberError
	var ce *harness.CodeError
	if errors.As(err, &me) || errors.As(err, &ce) {
		return err.Error()
	}
	return fmt.Sprintf("%v (%s)", err, contentType(ex))
}
