package mockserver

// Response filters: the quirks that change the shape of a response (its
// status, headers or JSON members) rather than a rule the server applies.
// The handlers write every response strictly; a filter registered here
// rewrites it at the one place where that kind of response is written
// (writeFiltered), just before it goes out. With no such quirk enabled the
// writers skip the machinery altogether.
//
// Adding a quirk: declare it and its name in quirks.go; then, if it changes
// a response's shape, add one line to filterTable below (a filter of one
// response kind, a small function of its own), else one line to newRules in
// rules.go (see there); and give it the assertion IDs that catch it in
// suites/quirkids (quirkids.go), which a test keeps in step with the quirks.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// responseKind says which writer a response comes from.
type responseKind int

const (
	// respTokenSuccess is an RFC 6749 §5.1 token response (handleToken).
	respTokenSuccess responseKind = iota
	// respTokenError is an RFC 6749 §5.2 error of the token endpoint (and
	// of the other writers of writeTokenError).
	respTokenError
	// respIntrospection is an RFC 7662 answer for an active token.
	respIntrospection
	// respBearerError is an RFC 6750 §3 refusal of the protected resource.
	respBearerError
	// respPage is an HTML page of the authorize or out-of-band endpoint.
	respPage
	numResponseKinds
)

// response is a response about to be written, as a filter sees it.
type response struct {
	status int
	header http.Header
	// members are the JSON body's members in order (duplicates kept); nil
	// for a body that is not JSON (a page, an empty bearer refusal).
	members []jsonMember
	// raw, when set by a filter, is the body to send instead of members.
	raw []byte
	// What the response answers.
	req    *http.Request
	params *params     // the token request's parameters (respTokenSuccess)
	err    *oauthError // the error written (respTokenError)
	// grantType is the refused grant type of an unsupported_grant_type
	// error (respTokenError).
	grantType string
	bearer    *bearerError // the refusal written (respBearerError)
}

// jsonMember is one member of a JSON object: its name and its value as
// encoded.
type jsonMember struct {
	name  string
	value []byte
}

// responseFilter rewrites a response of its kind.
type responseFilter func(p *Provider, rs *response)

type filterEntry struct {
	quirk  Quirk
	kind   responseKind
	filter responseFilter
}

// filterTable lists the response filters. They run in this order, which
// is the order in which the writers applied the quirks before they were
// filters: where two quirks touch the same member, the later one wins.
var filterTable = []filterEntry{
	{QuirkMissingGrantUnsupported, respTokenError, missingGrantAsUnsupported},
	{QuirkNoCacheControl, respTokenSuccess, dropHeader("Cache-Control")},
	{QuirkNoCacheControl, respTokenError, dropHeader("Cache-Control")},
	{QuirkNoPragma, respTokenSuccess, dropHeader("Pragma")},
	{QuirkNoPragma, respTokenError, dropHeader("Pragma")},
	{QuirkBasic400, respTokenError, basicFailureAs400},
	{QuirkNoWWWAuthenticate, respTokenError, dropHeader("WWW-Authenticate")},
	{QuirkTokenTypeMAC, respTokenSuccess, setMember("token_type", []byte(`"mac"`))},
	{QuirkMissingTokenType, respTokenSuccess, dropFirstMember("token_type")},
	{QuirkExpiresInString, respTokenSuccess, expiresInAsString},
	{QuirkScopeNotReported, respTokenSuccess, scopeOnlyWhenRequested},
	{QuirkExtraResponseMember, respTokenSuccess, addMember("x_issued_by", []byte(`"oauthconform"`))},
	{QuirkDuplicateJSONMembers, respTokenSuccess, repeatTokenType},
	{QuirkTextPlainToken, respTokenSuccess, contentType(textPlainCT)},
	{QuirkTokenStatus201, respTokenSuccess, status(http.StatusCreated)},
	{QuirkFormUnlessAcceptJSON, respTokenSuccess, formUnlessAcceptJSON},
	{QuirkErrorEchoesInput, respTokenError, echoGrantType},
	{QuirkErrorStatus200, respTokenError, status(http.StatusOK)},
	{QuirkUnsupportedGrantAsInvalidRequest, respTokenError, unsupportedGrantAsInvalidRequest},
	{QuirkNonASCIIErrorDescription, respTokenError, nonASCIIDescription},
	{QuirkBadErrorURI, respTokenError, badErrorURI},
	{QuirkErrorTextPlain, respTokenError, contentType(textPlainCT)},
	{QuirkIntrospectionActiveString, respIntrospection, setMember("active", []byte(`"true"`))},
	{QuirkIntrospectionScopeMismatch, respIntrospection, introspectionWholeVocabulary},
	{QuirkResourceErrorWithoutToken, respBearerError, errorInChallengeWithoutToken},
	{QuirkResourceNoChallenge, respBearerError, noChallengeWhen("")},
	{QuirkResourceInvalidTokenNoChallenge, respBearerError, noChallengeWhen("invalid_token")},
	{QuirkNoFrameProtection, respPage, noFrameProtection},
}

// responseFilters are the filters of a provider's enabled quirks, by kind.
type responseFilters [numResponseKinds][]responseFilter

func newResponseFilters(qs quirkSet) responseFilters {
	var out responseFilters
	for _, e := range filterTable {
		if qs.has(e.quirk) {
			out[e.kind] = append(out[e.kind], e.filter)
		}
	}
	return out
}

// writeFiltered runs the filters of kind over a response whose headers are
// set in w and whose body is the JSON object body, then writes it with its
// Content-Length. The writers call it only when the kind has filters, so
// the strict path stays as it is.
func (p *Provider) writeFiltered(w http.ResponseWriter, rs *response, kind responseKind, body []byte) {
	rs.header = w.Header()
	rs.members = splitMembers(body)
	p.runFilters(kind, rs)
	switch {
	case rs.raw != nil:
		body = rs.raw
	case rs.members != nil:
		body = joinMembers(rs.members)
	}
	if body != nil {
		rs.header["Content-Length"] = contentLength(len(body))
	}
	w.WriteHeader(rs.status)
	if len(body) > 0 {
		_, _ = w.Write(body)
	}
}

// runFilters runs the filters of kind over rs, for the writers that
// filter only headers (respBearerError, respPage).
func (p *Provider) runFilters(kind responseKind, rs *response) {
	for _, f := range p.filters[kind] {
		f(p, rs)
	}
}

// splitMembers parses a JSON object into its members; the writers make
// only well-formed compact objects.
func splitMembers(body []byte) []jsonMember {
	d := json.NewDecoder(bytes.NewReader(body))
	out := []jsonMember{}
	if t, err := d.Token(); err != nil || t != json.Delim('{') {
		return out
	}
	for d.More() {
		t, err := d.Token()
		if err != nil {
			break
		}
		var v json.RawMessage
		if err := d.Decode(&v); err != nil {
			break
		}
		out = append(out, jsonMember{name: t.(string), value: v})
	}
	return out
}

func joinMembers(ms []jsonMember) []byte {
	b := []byte{'{'}
	for i, m := range ms {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendJSONString(b, m.name)
		b = append(b, ':')
		b = append(b, m.value...)
	}
	return append(b, '}')
}

// member returns the index of the first member called name, or -1.
func (rs *response) member(name string) int {
	for i, m := range rs.members {
		if m.name == name {
			return i
		}
	}
	return -1
}

// stringMember returns the value of the first member called name as a
// string ("" when missing or not a string).
func (rs *response) stringMember(name string) string {
	var s string
	if i := rs.member(name); i >= 0 {
		_ = json.Unmarshal(rs.members[i].value, &s)
	}
	return s
}

// add appends a member, before the id_token that ends an OpenID Connect
// token response (appendIDTokenMember), as the writer would have.
func (rs *response) add(name string, value []byte) {
	at := len(rs.members)
	if n := at - 1; n >= 0 && rs.members[n].name == "id_token" {
		at = n
	}
	rs.members = append(rs.members[:at], append([]jsonMember{{name, value}}, rs.members[at:]...)...)
}

func dropHeader(name string) responseFilter {
	return func(_ *Provider, rs *response) { rs.header.Del(name) }
}

func contentType(v []string) responseFilter {
	return func(_ *Provider, rs *response) { rs.header["Content-Type"] = v }
}

func status(code int) responseFilter {
	return func(_ *Provider, rs *response) { rs.status = code }
}

func setMember(name string, value []byte) responseFilter {
	return func(_ *Provider, rs *response) {
		if i := rs.member(name); i >= 0 {
			rs.members[i].value = value
		}
	}
}

func addMember(name string, value []byte) responseFilter {
	return func(_ *Provider, rs *response) { rs.add(name, value) }
}

func dropFirstMember(name string) responseFilter {
	return func(_ *Provider, rs *response) {
		if i := rs.member(name); i >= 0 {
			rs.members = append(rs.members[:i], rs.members[i+1:]...)
		}
	}
}

// basicFailureAs400: a failed HTTP Basic authentication (a 401 with a
// challenge) answered 400, without the challenge.
func basicFailureAs400(_ *Provider, rs *response) {
	if rs.status == http.StatusUnauthorized && rs.err.Challenge != "" {
		rs.status = http.StatusBadRequest
		rs.header.Del("WWW-Authenticate")
	}
}

func expiresInAsString(_ *Provider, rs *response) {
	if i := rs.member("expires_in"); i >= 0 {
		v := rs.members[i].value
		rs.members[i].value = append(append([]byte{'"'}, v...), '"')
	}
}

// scopeOnlyWhenRequested leaves scope out even where the granted scope
// differs from the request.
func scopeOnlyWhenRequested(_ *Provider, rs *response) {
	if i := rs.member("scope"); i >= 0 && !sameScope(rs.stringMember("scope"), rs.params.get("scope")) {
		rs.members = append(rs.members[:i], rs.members[i+1:]...)
	}
}

// repeatTokenType writes token_type a second time, with the settings'
// value.
func repeatTokenType(p *Provider, rs *response) { rs.add("token_type", p.tokenTypeJSON) }

// formUnlessAcceptJSON sends the members as application/x-www-form-urlencoded
// unless the request's Accept names application/json, always with 200 and
// the cache headers.
func formUnlessAcceptJSON(_ *Provider, rs *response) {
	if strings.Contains(rs.req.Header.Get("Accept"), "application/json") {
		return
	}
	var m map[string]any
	_ = json.Unmarshal(joinMembers(rs.members), &m)
	form := url.Values{}
	for k, v := range m {
		form.Set(k, fmt.Sprint(v))
	}
	h := rs.header
	h["Content-Type"] = []string{"application/x-www-form-urlencoded"}
	h["Cache-Control"], h["Pragma"] = noStore, noCache
	rs.status = http.StatusOK
	rs.raw = []byte(form.Encode())
}

// echoGrantType names the refused grant type in the error code itself.
func echoGrantType(_ *Provider, rs *response) {
	if rs.err == errUnsupportedGrant {
		if i := rs.member("error"); i >= 0 {
			rs.members[i].value = appendJSONString(nil, `Unsupported grant type "`+rs.grantType+`"`)
		}
	}
}

// missingGrantAsUnsupported answers a request without grant_type with 501
// unsupported_grant_type instead of 400 invalid_request.
func missingGrantAsUnsupported(_ *Provider, rs *response) {
	if rs.err == errMissingGrantType {
		rs.status = http.StatusNotImplemented
		rs.members = []jsonMember{
			{"error", appendJSONString(nil, errUnsupportedGrantType)},
			{"error_description", appendJSONString(nil, errUnsupportedGrant.Description)},
		}
	}
}

func unsupportedGrantAsInvalidRequest(_ *Provider, rs *response) {
	if i := rs.member("error"); i >= 0 && rs.stringMember("error") == errUnsupportedGrantType {
		rs.members[i].value = appendJSONString(nil, errInvalidRequest)
	}
}

func nonASCIIDescription(_ *Provider, rs *response) {
	desc := "requête invalide: " + rs.stringMember("error_description")
	if i := rs.member("error_description"); i >= 0 {
		rs.members[i].value = appendJSONString(nil, desc)
	} else {
		rs.add("error_description", appendJSONString(nil, desc))
	}
}

func badErrorURI(_ *Provider, rs *response) {
	rs.add("error_uri", appendJSONString(nil, "https://oauthconform.invalid/docs/token errors#"+rs.stringMember("error")))
}

// introspectionWholeVocabulary reports every supported scope as the
// token's.
func introspectionWholeVocabulary(p *Provider, rs *response) {
	all := strings.Join(p.settings.Scopes.Supported, " ")
	i := rs.member("scope")
	switch {
	case i >= 0 && all == "":
		rs.members = append(rs.members[:i], rs.members[i+1:]...)
	case i >= 0:
		rs.members[i].value = appendJSONString(nil, all)
	case all != "" && len(rs.members) > 0:
		// Right after active, where the writer puts scope.
		rs.members = append(rs.members[:1], append([]jsonMember{{"scope", appendJSONString(nil, all)}}, rs.members[1:]...)...)
	}
}

// errorInChallengeWithoutToken puts error="invalid_token" in the challenge
// to a request that carried no token.
func errorInChallengeWithoutToken(p *Provider, rs *response) {
	if rs.bearer.code == "" && rs.header.Get("WWW-Authenticate") != "" {
		e := *rs.bearer
		e.code = "invalid_token"
		rs.header.Set("WWW-Authenticate", p.bearerChallenge(&e))
	}
}

// noChallengeWhen drops the challenge of a refusal with this error code
// ("" for a request without a token).
func noChallengeWhen(code string) responseFilter {
	return func(_ *Provider, rs *response) {
		if rs.bearer.code == code {
			rs.header.Del("WWW-Authenticate")
		}
	}
}

// noFrameProtection lets the pages be framed.
func noFrameProtection(_ *Provider, rs *response) {
	rs.header.Del("X-Frame-Options")
	csp := rs.header.Get("Content-Security-Policy")
	rs.header.Set("Content-Security-Policy", strings.Replace(csp, "; frame-ancestors 'none'", "", 1))
}
