package target

import (
	"errors"
	"fmt"
	"os"
	"strings"
)

// expand replaces ${VAR} and ${VAR:-default} in one decoded value. It works
// on values rather than YAML text so a secret's characters never meet the
// YAML parser, and it does not expand its own output, so a "$" inside a
// secret stays literal.
func expand(s string) (string, error) {
	if !strings.Contains(s, "$") {
		return s, nil
	}
	var b strings.Builder
	for {
		i := strings.IndexByte(s, '$')
		if i < 0 {
			b.WriteString(s)
			return b.String(), nil
		}
		b.WriteString(s[:i])
		s = s[i:]
		switch {
		case strings.HasPrefix(s, "$${"):
			b.WriteString("${")
			s = s[3:]
		case strings.HasPrefix(s, "${"):
			end := strings.IndexByte(s, '}')
			if end < 0 {
				return "", errors.New(`unterminated "${"`)
			}
			name, def, hasDefault := strings.Cut(s[2:end], ":-")
			s = s[end+1:]
			if !validEnvName(name) {
				return "", fmt.Errorf("%q is not a valid environment variable name", name)
			}
			v, set := os.LookupEnv(name)
			switch {
			case hasDefault && v == "":
				v = def
			case !set:
				return "", fmt.Errorf("environment variable %s is not set (write ${%s:-default} to give a default)", name, name)
			}
			b.WriteString(v)
		default:
			b.WriteByte('$')
			s = s[1:]
		}
	}
}

func validEnvName(s string) bool {
	if s == "" || (s[0] >= '0' && s[0] <= '9') {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
