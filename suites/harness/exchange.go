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
// stays in the Exchange.
const maxEvidenceBody = 8 << 10

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
// tokens redacted (see redact.go), headers sorted and long bodies cut.
func (x *Exchange) Evidence() string {
	if x == nil {
		return "(no exchange)"
	}
	var b strings.Builder
	fmt.Fprintf(&b, "--> %s %s\n", x.Method, RedactURL(x.URL))
	writeHeaders(&b, x.RequestHeader)
	writeBody(&b, x.RequestHeader.Get("Content-Type"), x.RequestBody, false)
	if x.Status != 0 {
		fmt.Fprintf(&b, "<-- %d %s (%s)\n", x.Status, http.StatusText(x.Status), x.Duration.Round(time.Millisecond))
		writeHeaders(&b, x.Header)
		writeBody(&b, x.Header.Get("Content-Type"), x.Body, x.Truncated)
	}
	if x.Err != nil {
		fmt.Fprintf(&b, "!!! error after %s: %s\n", x.Duration.Round(time.Millisecond), x.Err)
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

func writeHeaders(b *strings.Builder, h http.Header) {
	names := make([]string, 0, len(h))
	for k := range h {
		names = append(names, k)
	}
	slices.Sort(names)
	for _, k := range names {
		for _, v := range h[k] {
			fmt.Fprintf(b, "%s: %s\n", k, RedactHeader(k, v))
		}
	}
}

func writeBody(b *strings.Builder, contentType string, body []byte, truncated bool) {
	if len(body) == 0 {
		return
	}
	s := RedactBody(contentType, body)
	more := 0
	if len(s) > maxEvidenceBody {
		cut := maxEvidenceBody
		for cut > 0 && !utf8.RuneStart(s[cut]) {
			cut--
		}
		s, more = s[:cut], len(s)-cut
	}
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
