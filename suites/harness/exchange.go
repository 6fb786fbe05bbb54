package harness

import (
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"time"
	"unicode/utf8"
)

// maxEvidenceBody bounds how much of a body a rendering shows; the full body
// stays in the Exchange. The header lines of a message are bounded alike, and
// each value too, so one huge header does not hide the others: a target
// sending megabytes of headers would otherwise fill a report with them.
const (
	maxEvidenceBody        = 8 << 10
	maxEvidenceHeaders     = 8 << 10
	maxEvidenceHeaderValue = 2 << 10
)

// Exchange is one request/response pair: the evidence behind a verdict.
// Status is 0 and Err set when no response arrived.
type Exchange struct {
	Method        string
	URL           string
	RequestHeader http.Header
	RequestBody   []byte

	Status int
	Header http.Header
	Body   []byte
	// Truncated: the body exceeded the client's cap and Body holds its start.
	Truncated bool

	Duration time.Duration
	Err      error
}

// Location returns the Location header, as sent.
func (x *Exchange) Location() string { return x.Header.Get("Location") }

// RedirectURL parses Location, resolving a relative reference against the
// request URL as RFC 9110 §10.2.2 allows.
func (x *Exchange) RedirectURL() (*url.URL, error) {
	loc := x.Location()
	if loc == "" {
		return nil, fmt.Errorf("no Location header (status %d)", x.Status)
	}
	ref, err := url.Parse(loc)
	if err != nil {
		return nil, fmt.Errorf("location %q: %w", RedactURL(loc), err)
	}
	base, err := url.Parse(x.URL)
	if err != nil {
		return ref, nil
	}
	return base.ResolveReference(ref), nil
}

// MediaType returns the lower-cased media type of the response.
func (x *Exchange) MediaType() string { return MediaType(x.Header) }

// JSON decodes the body with [DecodeJSONObject].
func (x *Exchange) JSON() (map[string]any, error) { return DecodeJSONObject(x.Body) }

// String is [Exchange.Evidence].
func (x *Exchange) String() string { return x.Evidence() }

// Evidence renders the exchange for a failure report, with credentials and
// tokens redacted by name (see redact.go) and then every registered secret
// by value (see secrets.go), headers sorted and long headers and bodies cut.
// Each piece is scrubbed before it is cut: a cut through a secret would
// leave a part that no longer matches.
func (x *Exchange) Evidence() string {
	if x == nil {
		return "(no exchange)"
	}
	sc := secrets.scrubber()
	var b strings.Builder
	fmt.Fprintf(&b, "--> %s %s\n", x.Method, sc.scrub(RedactURL(x.URL)))
	writeHeaders(&b, x.RequestHeader, sc)
	writeBody(&b, x.RequestHeader.Get("Content-Type"), x.RequestBody, false, sc)
	if x.Status != 0 {
		fmt.Fprintf(&b, "<-- %d %s (%s)\n", x.Status, http.StatusText(x.Status), x.Duration.Round(time.Millisecond))
		writeHeaders(&b, x.Header, sc)
		writeBody(&b, x.Header.Get("Content-Type"), x.Body, x.Truncated, sc)
	}
	if x.Err != nil {
		fmt.Fprintf(&b, "!!! error after %s: %s\n", x.Duration.Round(time.Millisecond), sc.scrub(x.Err.Error()))
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

func writeHeaders(b *strings.Builder, h http.Header, sc *scrubber) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	left := maxEvidenceHeaders
	hiddenLines, hiddenBytes := 0, 0
	for _, k := range names {
		for _, v := range h[k] {
			if left <= 0 {
				hiddenLines, hiddenBytes = hiddenLines+1, hiddenBytes+len(k)+len(v)+3
				continue
			}
			v, more := sc.scrubCut(RedactHeader(k, v), min(maxEvidenceHeaderValue, left))
			fmt.Fprintf(b, "%s: %s", k, strings.ToValidUTF8(v, "\uFFFD"))
			if more > 0 {
				fmt.Fprintf(b, " … [%d more bytes not shown]", more)
			}
			b.WriteString("\n")
			left -= len(k) + len(v) + 3
		}
	}
	if hiddenLines > 0 {
		fmt.Fprintf(b, "… [%d more header lines (%d bytes) not shown]\n", hiddenLines, hiddenBytes)
	}
}

// cut returns s cut to at most n bytes at a rune boundary, and how many
// bytes were cut off.
func cut(s string, n int) (string, int) {
	if len(s) <= n {
		return s, 0
	}
	i := max(n, 0)
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i], len(s) - i
}

func writeBody(b *strings.Builder, contentType string, body []byte, truncated bool, sc *scrubber) {
	if len(body) == 0 {
		return
	}
	s, more := sc.scrubCut(RedactBody(contentType, body), maxEvidenceBody)
	b.WriteString("\n")
	b.WriteString(strings.ToValidUTF8(s, "\uFFFD"))
	if !strings.HasSuffix(s, "\n") {
		b.WriteString("\n")
	}
	if more > 0 {
		fmt.Fprintf(b, "… [%d more bytes not shown]\n", more)
	}
	if truncated {
		b.WriteString("… [body exceeded the size cap and was truncated]\n")
	}
	b.WriteString("\n")
}
