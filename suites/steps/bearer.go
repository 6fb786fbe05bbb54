package steps

import (
	"regexp"
	"strings"

	"github.com/oauthconform/oauthconform/suites/harness"
)

var challengeErrorRE = regexp.MustCompile(`(?i)(?:^|[\s,])error\s*=\s*(?:"([^"]*)"|([^\s,]+))`)

// BearerChallenge returns the Bearer challenge of the WWW-Authenticate
// lines (the scheme compared case-insensitively, RFC 9110 §11.1), and
// whether there is one.
func BearerChallenge(values []string) (string, bool) {
	for _, v := range values {
		if i := strings.Index(strings.ToLower(v), "bearer"); i >= 0 && harness.HasAuthScheme([]string{v}, "Bearer") {
			return v[i:], true
		}
	}
	return "", false
}

// ChallengeError returns the error attribute of a challenge ("" if none).
func ChallengeError(challenge string) string {
	m := challengeErrorRE.FindStringSubmatch(challenge)
	if m == nil {
		return ""
	}
	if m[1] != "" {
		return m[1]
	}
	return m[2]
}
