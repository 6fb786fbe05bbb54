package engine

import (
	"context"
	"errors"
	"net/url"
	"strings"
	"sync"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/harness"
)

// Well-known locations of the metadata document.
const (
	wellKnownOAuth = "/.well-known/oauth-authorization-server"
	wellKnownOIDC  = "/.well-known/openid-configuration"
)

// Metadata is the target's authorization server metadata (RFC 8414) as the
// harness found it.
type Metadata struct {
	// Disabled: the target declares that it publishes none.
	Disabled bool
	// Published: one of the well-known locations answered 2xx.
	Published bool
	// URL is where the document came from; OIDC is set when that is OpenID
	// Connect Discovery's location rather than RFC 8414's.
	URL  string
	OIDC bool
	// Ex is the answer of URL; Tried holds every location asked, in order.
	Ex    *harness.Exchange
	Tried []*harness.Exchange
	// Doc is the document when the body is a JSON object (repeated members:
	// the last wins), with numbers as json.Number; DecodeErr says why not.
	Doc       map[string]any
	DecodeErr error
}

// metadataCache holds an Env's metadata once fetched. The specs of one
// environment run one at a time, but the locks keep it safe either way.
type metadataCache struct {
	mu sync.Mutex
	md *Metadata
}

// metadataCacheInit guards the lazy creation of Env.meta.
var metadataCacheInit sync.Mutex

func (e *Env) metadataCache() *metadataCache {
	metadataCacheInit.Lock()
	defer metadataCacheInit.Unlock()
	if e.meta == nil {
		e.meta = &metadataCache{}
	}
	return e.meta
}

// IssuerID is the issuer identifier the metadata is looked up from: the
// configured one, else the base URL.
func (e *Env) IssuerID() string {
	if e.Issuer != "" {
		return e.Issuer
	}
	return e.HTTP.BaseURL()
}

// metadataURLs are the locations of the document for an issuer: RFC 8414
// §3.1 inserts the well-known suffix between the host and the issuer's
// path; OpenID Connect Discovery §4 appends its suffix to the issuer.
func metadataURLs(issuer string) []string {
	u, err := url.Parse(issuer)
	if err != nil || u.Host == "" {
		return []string{strings.TrimRight(issuer, "/") + wellKnownOAuth}
	}
	rfc := *u
	rfc.Path, rfc.RawPath = wellKnownOAuth+strings.TrimRight(u.Path, "/"), ""
	rfc.RawQuery, rfc.Fragment = "", ""
	return []string{rfc.String(), strings.TrimRight(issuer, "/") + wellKnownOIDC}
}

// Metadata returns the target's metadata document, fetched on first use
// (RFC 8414's location first, then OpenID Connect's) and cached for the
// environment. It never fails: see Metadata.Published and Doc.
func (e *Env) Metadata(ctx context.Context) *Metadata {
	mc := e.metadataCache()
	mc.mu.Lock()
	defer mc.mu.Unlock()
	if mc.md != nil {
		return mc.md
	}
	md := &Metadata{}
	mc.md = md
	if e.HasMetadata != nil && !*e.HasMetadata || e.HTTP == nil {
		md.Disabled = true
		return md
	}
	// One spec's deadline must not leave every later spec without
	// metadata: the request is bounded by the client's own timeout.
	ctx = context.WithoutCancel(ctx)
	declared := e.HasMetadata != nil && *e.HasMetadata
	var firstBad *harness.Exchange
	var firstErr error
	for i, u := range metadataURLs(e.IssuerID()) {
		ex := e.HTTP.Get(ctx, u, harness.WithHeader("Accept", "application/json"))
		md.Tried = append(md.Tried, ex)
		if ex.Err != nil || ex.Status < 200 || ex.Status >= 300 {
			continue
		}
		doc, err := harness.DecodeJSONObject(ex.Body)
		var dup *harness.DuplicateKeyError
		if err != nil && !errors.As(err, &dup) {
			// A 2xx that is no JSON object (an HTML catch-all, say) is
			// not a metadata document; the next location may hold one.
			if firstBad == nil {
				firstBad, firstErr = ex, err
			}
			continue
		}
		md.Published, md.URL, md.OIDC, md.Ex, md.Doc = true, u, i == 1, ex, doc
		return md
	}
	if firstBad != nil && declared {
		// Declared published: the bad answer is the document, and META-001
		// fails it.
		md.Published, md.URL, md.Ex, md.DecodeErr = true, firstBad.URL, firstBad, firstErr
	}
	return md
}

// Strings returns a member that is an array of strings; present is false
// when the member is absent (or not such an array).
func (m *Metadata) Strings(field string) (vals []string, present bool) {
	if m == nil || m.Doc == nil {
		return nil, false
	}
	arr, ok := m.Doc[field].([]any)
	if !ok {
		return nil, false
	}
	for _, v := range arr {
		if s, ok := v.(string); ok {
			vals = append(vals, s)
		}
	}
	return vals, true
}

// String returns a string member, "" when absent.
func (m *Metadata) String(field string) string {
	if m == nil || m.Doc == nil {
		return ""
	}
	s, _ := m.Doc[field].(string)
	return s
}

// UsableMetadata returns the metadata when it may be relied on: published,
// a JSON object, and naming the issuer it was looked up for (RFC 8414
// §3.3: otherwise its data "MUST NOT be used"); nil otherwise. The document
// is fetched when the environment is set up, so no request context is
// needed.
func (e *Env) UsableMetadata() *Metadata {
	md := e.Metadata(context.Background())
	if !md.Published || md.Doc == nil || md.String("issuer") != e.IssuerID() {
		return nil
	}
	return md
}

// GrantProbe is a request of grant g that needs no real credential of
// the grant: an unknown code or refresh token, an unknown user (so that no
// real account counts a failed login).
func GrantProbe(g string, cl *Client) url.Values {
	form := url.Values{"grant_type": {g}}
	switch g {
	case profile.GrantAuthorizationCode:
		form.Set("code", "oauthconform-probe-"+harness.RandomString(12))
		if r := cl.RedirectURI(); r != "" {
			form.Set("redirect_uri", r)
		}
		// A server requiring PKCE may refuse a missing verifier before it
		// looks the code up.
		form.Set("code_verifier", harness.NewVerifier())
	case profile.GrantRefreshToken:
		form.Set("refresh_token", "oauthconform-probe-"+harness.RandomString(12))
	case profile.GrantPassword:
		form.Set("username", "oauthconform-probe-"+harness.RandomString(6))
		form.Set("password", harness.RandomString(12))
	}
	return form
}
