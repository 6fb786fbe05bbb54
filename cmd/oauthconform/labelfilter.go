package main

import (
	"errors"
	"fmt"
	"regexp"
	"strings"
	"unicode/utf8"

	"github.com/onsi/ginkgo/v2/types"

	"github.com/oauthconform/oauthconform/suites"
)

// runLabelFilter returns the Ginkgo label filter of a run from the
// --label-filter expression: "!intrusive" when there is none; the user's
// expression E as "(E) && !intrusive" unless E mentions the label intrusive
// (as a label, or inside a /regular expression/), so that filtering by
// level or group never turns on the checks that may lock a client out.
// An expression that does not parse is a usage error naming the flag, found
// before anything runs.
func runLabelFilter(expr string) (string, error) {
	if strings.TrimSpace(expr) == "" {
		return "!" + suites.LabelIntrusive, nil
	}
	if _, err := types.ParseLabelFilter(expr); err != nil {
		return "", &usageError{msg: "--label-filter", err: labelFilterError(expr, err)}
	}
	if mentionsLabel(expr, suites.LabelIntrusive) {
		return expr, nil
	}
	return "(" + expr + ") && !" + suites.LabelIntrusive, nil
}

// ginkgoMarkup is the colour markup of Ginkgo's messages ({{red}}, {{/}}).
var ginkgoMarkup = regexp.MustCompile(`\{\{[a-z/-]*\}\}`)

// labelFilterError makes Ginkgo's parse error plain text: what is wrong,
// the expression and, where Ginkgo marks one, the column at fault.
func labelFilterError(expr string, err error) error {
	var ge types.GinkgoError
	if !errors.As(err, &ge) {
		return fmt.Errorf("%q: %s", expr, ginkgoMarkup.ReplaceAllString(err.Error(), ""))
	}
	msg := ge.Message
	col := 0
	if i := strings.Index(msg, "{{red}}"); i >= 0 {
		col = utf8.RuneCountInString(ginkgoMarkup.ReplaceAllString(msg[:i], "")) + 1
	}
	msg = ginkgoMarkup.ReplaceAllString(msg, "")
	if i := strings.LastIndex(msg, "\n"); i >= 0 {
		msg = msg[i+1:]
	}
	msg = strings.Join(strings.Fields(strings.TrimSuffix(msg, ".")), " ")
	if col > 0 {
		return fmt.Errorf("%q: %s (at column %d)", expr, msg, col)
	}
	return fmt.Errorf("%q: %s", expr, msg)
}

// mentionsLabel reports whether a label filter expression names label: as
// a label of its own (any case, as Ginkgo matches them), as the key of a set
// operation, or inside a regular expression.
func mentionsLabel(expr, label string) bool {
	rest := expr
	for rest != "" {
		switch c := rest[0]; {
		case c == '/':
			body, after, _ := strings.Cut(rest[1:], "/")
			if strings.Contains(strings.ToLower(body), strings.ToLower(label)) {
				return true
			}
			rest = after
		case strings.IndexByte("&|!,() ", c) >= 0:
			rest = rest[1:]
		default:
			end := strings.IndexAny(rest, "&|!,()/")
			if end < 0 {
				end = len(rest)
			}
			tok := rest[:end]
			if key, _, ok := strings.Cut(tok, ":"); ok {
				tok = key
			}
			if strings.EqualFold(strings.TrimSpace(tok), label) {
				return true
			}
			rest = rest[end:]
		}
	}
	return false
}
