package engine

import (
	"context"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"
	"github.com/onsi/gomega/types"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/drivers"
	"github.com/oauthconform/oauthconform/suites/harness"
	"github.com/oauthconform/oauthconform/suites/target"
)

// Levels, re-exported for the spec files.
const (
	MUST   = harness.LevelMust
	SHOULD = harness.LevelShould
	MAY    = harness.LevelMay
)

// Group is one concern's specs (TOK-RESP, AUTHZ-RURI, ...).
type Group struct {
	// ID is the catalogue group, used as a label.
	ID    string
	Title string
	// Specs declares the group's specs for one environment.
	Specs func(e *Env)
}

var groups []Group

// Register adds a group; spec files call it from init.
func Register(g Group) { groups = append(groups, g) }

// DefaultSpecTimeout bounds one spec; slow specs (real waits) set their own.
const DefaultSpecTimeout = 2 * time.Minute

// Labels for specs that need more than a black box.
const (
	// LabelSlow marks specs that wait in real time on a real target.
	LabelSlow = "slow"
	// LabelIntrusive marks specs that may lock out a client or user.
	LabelIntrusive = "intrusive"
)

// registry records every assertion declared while the tree is built: the
// catalogue is generated from the code.
var registry = struct {
	sync.Mutex
	m map[string]harness.Assertion
	// conflicts are IDs declared with two different assertions: a
	// catalogue that silently kept one would lie (Catalogue fails).
	conflicts []string
}{m: map[string]harness.Assertion{}}

// Assertions returns the assertions of the last built spec tree, by ID.
func Assertions() []harness.Assertion {
	registry.Lock()
	defer registry.Unlock()
	out := make([]harness.Assertion, 0, len(registry.m))
	for _, a := range registry.m {
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return idLess(out[i].ID, out[j].ID) })
	return out
}

// idLess orders IDs by group in catalogue order, then number.
func idLess(a, b string) bool {
	ga, na := splitID(a)
	gb, nb := splitID(b)
	if ga != gb {
		ia, ib := groupRank(ga), groupRank(gb)
		if ia != ib {
			return ia < ib
		}
		return ga < gb
	}
	return na < nb
}

func splitID(id string) (string, int) {
	i := strings.LastIndexByte(id, '-')
	if i < 0 {
		return id, 0
	}
	n, _ := strconv.Atoi(id[i+1:])
	return id[:i], n
}

// catalogueOrder is the group order of shared/assertions.md.
var catalogueOrder = []string{"TOK-GEN", "TOK-AUTH", "TOK-RESP", "TOK-ERR", "TOK-AC", "AUTHZ-PKCE", "TOK-PKCE", "TOK-CC", "TOK-PW", "TOK-RT",
	"AUTHZ-REQ", "AUTHZ-RURI", "AUTHZ-RESP", "AUTHZ-ERR", "AUTHZ-IMP", "AUTHZ-SEC", "META", "REV", "INTR", "JWT", "BEAR"}

func groupRank(g string) int {
	if i := slices.Index(catalogueOrder, g); i >= 0 {
		return i
	}
	return len(catalogueOrder)
}

// Assert declares the spec of one assertion. The requirement sentence states
// the rule in RFC 2119 words; body checks exactly that rule.
func (e *Env) Assert(a harness.Assertion, body func(c *C), decorators ...any) {
	registry.Lock()
	if prev, ok := registry.m[a.ID]; ok && prev != a {
		registry.conflicts = append(registry.conflicts, fmt.Sprintf("%s is declared twice: %q (%s %s) and %q (%s %s)", a.ID, prev.Requirement, prev.Level, prev.Section, a.Requirement, a.Level, a.Section))
	}
	registry.m[a.ID] = a
	registry.Unlock()
	if e.collectOnly {
		return
	}
	labels := Label(assertionLabels(a)...)
	args := []any{labels, SpecTimeout(DefaultSpecTimeout)}
	args = append(args, decorators...)
	args = append(args, func(ctx SpecContext) {
		if err := e.breaker.Tripped(); err != nil {
			Skip(harness.Scrub(NotRunPrefix + a.ID + ": the target stopped answering: " + err.Error()))
		}
		c := &C{Context: ctx, Env: e, A: a}
		if e.dryRun {
			c.dryRun()
		}
		defer func() {
			// A breach of a SHOULD or MAY ends the spec as a WARN (see
			// Failf); every other panic (Ginkgo's Fail and Skip) goes on.
			if r := recover(); r != nil {
				if _, ok := r.(warnStop); !ok {
					panic(r)
				}
			}
			c.dryEnd(false)
		}()
		body(c)
	})
	It(a.ID+": "+a.Requirement, args...)
}

var rfcRef = regexp.MustCompile(`RFC ?(\d{4})\s*(?:§\s*([0-9A-Z][0-9.]*[0-9A-Z]?))?`)

// assertionLabels are the ID, level, group and RFC section labels,
// e.g. TOK-RESP-003, MUST, TOK-RESP, RFC6749-5.1.
func assertionLabels(a harness.Assertion) []string {
	labels := []string{a.ID, string(a.Level)}
	if i := strings.LastIndexByte(a.ID, '-'); i > 0 {
		labels = append(labels, a.ID[:i])
	}
	for _, m := range rfcRef.FindAllStringSubmatch(a.Section, -1) {
		l := "RFC" + m[1]
		if m[2] != "" {
			l += "-" + strings.TrimSuffix(m[2], ".")
		}
		labels = append(labels, l)
	}
	return labels
}

// C is the spec's view of one check in progress.
type C struct {
	context.Context
	Env *Env
	A   harness.Assertion

	// dry is set in a dry run (see dryRun).
	dry *dryState

	// AuthzDecided and AuthzPending count the authorization requests of
	// the spec that the server answered with a decision (an error page, a
	// redirect carrying code or error) or with something that only leads on
	// to a user (a login page, a redirect to one): without a browser-like
	// driver a spec that saw no decision checked nothing. Exported for the
	// AUTHZ steps that keep them (steps.TallyDecision, steps.NoBrowser).
	AuthzDecided, AuthzPending int
}

// NotRunPrefix starts the skip message of a spec that never ran because the
// target stopped answering: the summary counts it as not run, not skipped.
const NotRunPrefix = "NOT RUN: "

// Report entry names: the summary counts them.
const (
	EntryWarn = "WARN"
	EntryInfo = "INFO"
	// EntrySaw records which of several compliant answers the target gave.
	EntrySaw = "SAW"
)

func (c *C) check(v harness.Verdict, msg string, evidence []*harness.Exchange) harness.Check {
	return harness.Check{Assertion: c.A, Verdict: v, Message: msg, Evidence: evidence}
}

// warnStop ends a spec whose SHOULD or MAY assertion was breached.
type warnStop struct{}

// WarnStop records a WARN like Warnf and ends the spec there, whatever its
// level: for a rule that binds only under a declaration the target did not
// make (a MUST of RFC 9068 on a token not declared as RFC 9068).
func (c *C) WarnStop(evidence []*harness.Exchange, format string, args ...any) {
	c.Warnf(evidence, format, args...)
	panic(warnStop{})
}

// Failf fails the spec with the evidence. Only a MUST breach fails: for a
// SHOULD or MAY assertion the breach is recorded as a WARN and the spec
// ends there (a failure only under --strict).
func (c *C) Failf(evidence []*harness.Exchange, format string, args ...any) {
	c.dryEnd(false)
	if c.A.Level != MUST {
		c.Warnf(evidence, format, args...)
		panic(warnStop{})
	}
	Fail(c.check(harness.VerdictFail, fmt.Sprintf(format, args...), evidence).Report(), 1)
}

// Must fails the spec unless ok.
func (c *C) Must(ok bool, ex *harness.Exchange, format string, args ...any) {
	if !ok {
		c.Failf(Exchanges(ex), format, args...)
	}
}

// Should records a WARN unless ok (a failure under --strict).
func (c *C) Should(ok bool, ex *harness.Exchange, format string, args ...any) {
	if !ok {
		c.Warnf(Exchanges(ex), format, args...)
	}
}

// Warnf records a WARN: a SHOULD breach or an RFC-ambiguous answer.
func (c *C) Warnf(evidence []*harness.Exchange, format string, args ...any) {
	c.dryEnd(false)
	chk := c.check(harness.VerdictWarn, fmt.Sprintf(format, args...), evidence)
	AddReportEntry(EntryWarn, chk.Report(), ReportEntryVisibilityFailureOrVerbose)
	if c.Env.Strict {
		Fail("strict mode: "+chk.Report(), 1)
	}
}

// Infof records an observation.
func (c *C) Infof(format string, args ...any) {
	AddReportEntry(EntryInfo, c.A.ID+": "+harness.Scrub(fmt.Sprintf(format, args...)), ReportEntryVisibilityFailureOrVerbose)
}

// Saw records which compliant answer the target gave where the RFC allows
// several (e.g. "invalid_client answered with 401").
func (c *C) Saw(format string, args ...any) {
	AddReportEntry(EntrySaw, c.A.ID+": "+harness.Scrub(fmt.Sprintf(format, args...)), ReportEntryVisibilityFailureOrVerbose)
}

// Skipf skips the spec with a stated reason.
func (c *C) Skipf(format string, args ...any) {
	c.dryEnd(true)
	Skip(c.A.ID + ": " + harness.Scrub(fmt.Sprintf(format, args...)))
}

// Exchanges lists the non-nil exchanges given, as evidence for Failf,
// Warnf and the like.
func Exchanges(ex ...*harness.Exchange) []*harness.Exchange {
	var out []*harness.Exchange
	for _, x := range ex {
		if x != nil {
			out = append(out, x)
		}
	}
	return out
}

// RequireGrant skips when grant g is known to be absent: the dialect has no
// such grant, or the target declares its grants without it. Metadata that
// omits it does not hide the spec (metadata is often incomplete): the spec
// runs, and a refusal of a grant nothing promised skips it then (see
// Tokens).
func (c *C) RequireGrant(g string) {
	if s, why := c.Env.Grant(g); s == Absent {
		c.Skipf("%s", why)
	}
}

// RequireBCP skips an RFC 9700 requirement unless the target claims the
// Security BCP (security_bcp): a plain RFC 6749 server is not failed for it.
func (c *C) RequireBCP() {
	if !c.Env.SecurityBCP() {
		c.Skipf("an RFC 9700 (Security BCP) requirement; the target does not claim RFC 9700 (declare security_bcp: true to check it)")
	}
}

// RequireClient returns the client playing role, or skips.
func (c *C) RequireClient(role string) *Client {
	cl := c.Env.Client(role)
	if cl == nil {
		c.Skipf("the target configuration has no %q client", role)
	}
	return cl
}

// RequireUser returns the resource owner, or skips.
func (c *C) RequireUser() *target.User {
	if c.Env.User == nil {
		c.Skipf("the target configuration has no resource owner (user)")
	}
	return c.Env.User
}

// RequireDriver returns the authorization driver, or skips.
func (c *C) RequireDriver() drivers.Driver {
	if c.Env.Driver == nil {
		c.Skipf("no authorization driver is configured, so no authorization codes can be obtained")
	}
	return c.Env.Driver
}

// RequireBrowser returns the user-agent driver of the authorize endpoint, or
// skips.
func (c *C) RequireBrowser() drivers.Driver {
	if c.Env.Browser == nil || c.Env.Endpoints.Authorize == "" {
		c.Skipf("no authorize endpoint or no browser-like authorization driver is configured")
	}
	return c.Env.Browser
}

// RequireClosedVocabulary skips a spec about an unknown scope value that the
// server accepted when its vocabulary is not declared: the value may be one
// of its own.
func (c *C) RequireClosedVocabulary(value string) {
	if !c.Env.ClosedVocabulary() {
		c.Skipf("the server accepted the scope value %q; its vocabulary is not declared, so the value may be its own (RFC 6749 §3.3: the strings are defined by the authorization server): declare scopes.supported to check it", value)
	}
}

// Body parses a JSON object leniently (duplicate members: last wins), for
// specs whose assertion is not about the encoding.
func Body(ex *harness.Exchange) map[string]any {
	var m map[string]any
	if ex == nil || json.Unmarshal(ex.Body, &m) != nil {
		return nil
	}
	return m
}

// Str returns a string member of a lenient body.
func Str(m map[string]any, k string) string {
	s, _ := m[k].(string)
	return s
}

// Tokens requires a successful token response and returns its body: a 2xx
// status and a JSON object with a non-empty access_token. Which headers and
// member formats are right is for the TOK-RESP specs; here only success
// matters. A refusal that only contradicts what the harness assumed (a grant,
// a client registration or a scope that nothing declared) skips the spec
// with that reason; any other refusal fails it.
func (c *C) Tokens(ex *harness.Exchange, what string) map[string]any {
	if !Issued(ex) {
		if why := c.Env.lawfulRefusal(ex); why != "" {
			c.Skipf("precondition not met: %s: %s", what, why)
		}
		c.Failf(Exchanges(ex), "%s: expected a successful token response (2xx with an access_token)", what)
	}
	return Body(ex)
}

// lawfulRefusal explains a refused token request by what the target never
// promised: "" when the refusal is the server's fault.
func (e *Env) lawfulRefusal(ex *harness.Exchange) string {
	if ex == nil || ex.Err != nil || ex.Status >= 500 {
		return ""
	}
	form := requestForm(ex)
	grant := form.Get("grant_type")
	if grant == "" {
		grant = e.Dialect.TokenRequest.DefaultGrantType
	}
	cl := e.clientOf(ex, form)
	code := harness.ErrorCodeOf(ex)
	if (code == "unsupported_grant_type" || code == "unauthorized_client" || code == "invalid_request") && (!slices.Contains(profile.Grants, grant) || cl != nil && e.grantShown(cl.ID, grant)) {
		// An unknown grant type is never lawfully another error, and one
		// the server already honoured for this client is not excused.
		return ""
	}
	if s, _ := e.Grant(grant); s == Advertised && ClientGrant(cl, grant) != Declared && slices.Contains([]string{"unsupported_grant_type", "unauthorized_client", "invalid_request"}, code) {
		// The metadata's grant_types_supported is the server's (RFC 8414
		// §2), not this client's (RFC 7591 §2: grant_types "that the
		// client can use"): a client not allowed the grant is refused,
		// ideally with unauthorized_client (TOK-ERR-009 grades the code).
		id := "the client"
		if cl != nil {
			id = fmt.Sprintf("client %q", cl.ID)
		}
		return fmt.Sprintf("the metadata advertises the %s grant server-wide, but %s was refused it (%s: %q), and its grant_types are not declared; declare them to check it", grant, id, code, Str(Body(ex), "error_description"))
	}
	switch code {
	case "unsupported_grant_type":
		if s, why := e.Grant(grant); !s.Expected() {
			return fmt.Sprintf("the server does not offer the %s grant (unsupported_grant_type), and nothing promised it: %s; declare grant_types to check it", grant, why)
		}
	case "unauthorized_client":
		if ClientGrant(cl, grant) != Declared {
			id := "the client"
			if cl != nil {
				id = fmt.Sprintf("client %q", cl.ID)
			}
			return fmt.Sprintf("%s may not use the %s grant (unauthorized_client), and its grant_types are not declared", id, grant)
		}
	case "invalid_scope":
		if !e.Scopes.Declared {
			return fmt.Sprintf("the scope %q was taken from the metadata, not declared, and was refused (invalid_scope); declare scopes to check it", form.Get("scope"))
		}
	}
	return ""
}

// LawfulAuthzRefusal explains an authorization error response to a valid
// request by what the target never promised: "" when it is the server's
// fault.
func (e *Env) LawfulAuthzRefusal(cl *Client, q url.Values, code string) string {
	rt := q.Get("response_type")
	switch code {
	case "unsupported_response_type":
		if s, why := e.ResponseType(rt); !s.Expected() {
			return fmt.Sprintf("the server does not offer response_type=%s (unsupported_response_type): %s", rt, why)
		}
	case "unauthorized_client":
		if cl == nil || cl.ResponseTypes == nil || !slices.Contains(cl.ResponseTypes, rt) {
			return fmt.Sprintf("the client may not use response_type=%s (unauthorized_client), and its response_types are not declared", rt)
		}
	case "invalid_scope":
		if !e.Scopes.Declared {
			return fmt.Sprintf("the scope %q was taken from the metadata, not declared, and was refused (invalid_scope)", q.Get("scope"))
		}
	case "access_denied":
		if !e.Scopes.Declared && strings.TrimSpace(q.Get("scope")) == "" {
			return "a request asking for no scope was refused after consent (access_denied): the server may grant nothing without a scope; declare the scopes a client asks for (scopes.supported, or scopes.required such as openid)"
		}
	case "invalid_request":
		if !q.Has("code_challenge") && e.PKCERequiredFor(cl) == Unknown {
			return "the server may require PKCE of this client (invalid_request to a request without code_challenge), which is its policy (RFC 7636 §4.4.1)"
		}
	}
	return ""
}

// PKCERequiredFor says whether cl must use PKCE: Declared yes, Absent
// declared no... Unknown when nothing says.
func (e *Env) PKCERequiredFor(cl *Client) Support {
	switch {
	case e.PKCERequired() || cl != nil && cl.RequirePKCE:
		return Declared
	case e.Target != nil && cl != nil:
		for _, tc := range e.Target.Clients {
			if tc != nil && tc.ID == cl.ID && tc.RequirePKCE != nil {
				return Absent
			}
		}
	}
	return Unknown
}

// requestForm parses the form a token request sent.
func requestForm(ex *harness.Exchange) url.Values {
	v, _ := url.ParseQuery(string(ex.RequestBody))
	if v == nil {
		v = url.Values{}
	}
	return v
}

// clientOf finds the configured client a request authenticated as: the
// Basic user-id, else the body's client_id.
func (e *Env) clientOf(ex *harness.Exchange, form url.Values) *Client {
	id := form.Get("client_id")
	if u, _, ok := harness.ParseBasicAuth(ex.RequestHeader.Get("Authorization")); ok {
		id = u
	}
	for _, cl := range e.Clients {
		if cl.ID == id {
			return cl
		}
	}
	return nil
}

// NotIssued requires a request to have been answered without tokens: a
// transport failure or a server error is a failure too, never a refusal.
func (c *C) NotIssued(ex *harness.Exchange, what string) {
	switch {
	case ex.Err != nil:
		c.Failf(Exchanges(ex), "%s got no response: %v (a timeout or a broken connection is not a refusal)", what, ex.Err)
	case Issued(ex):
		c.Failf(Exchanges(ex), "%s: the server issued tokens", what)
	case ex.Status >= 500:
		c.Failf(Exchanges(ex), "%s was answered with the server error %d (not a refusal: RFC 6749 §5.2 errors are 400 or 401)", what, ex.Status)
	case harness.ErrorCodeOf(ex) == "":
		c.Failf(Exchanges(ex), "%s was answered %d without an OAuth error (RFC 6749 §5.2): garbage is not a refusal", what, ex.Status)
	}
}

// Issued reports whether ex issued an access token.
func Issued(ex *harness.Exchange) bool {
	return ex.Err == nil && ex.Status >= 200 && ex.Status < 300 && Str(Body(ex), "access_token") != ""
}

// Refused checks a negative token request: it MUST NOT issue tokens, and its
// error code must be one of codes. A wrong code fails, or only warns when
// codeIsShould (a "MUST (derived)" assertion, catalogue §0.3). Status, media
// type and charsets are the TOK-ERR specs' business.
//
// No answer, a server error or a body that is no OAuth error is never a
// refusal: it fails (a timeout or a 500 is not evidence of compliance).
func (c *C) Refused(ex *harness.Exchange, codeIsShould bool, codes ...string) string {
	c.NotIssued(ex, "the request")
	got := harness.ErrorCodeOf(ex)
	if got == "" {
		c.Failf(Exchanges(ex), "the refusal (status %d) is not an OAuth error response: no error member; expected %s", ex.Status, strings.Join(codes, " or "))
	}
	if !slices.Contains(codes, got) {
		// Refused before the point the spec probes, for a reason nothing
		// promised against (a grant the server does not offer, a client
		// not registered for it): the spec cannot judge.
		if why := c.Env.lawfulRefusal(ex); why != "" {
			c.Skipf("precondition not met: %s", why)
		}
	}
	for _, code := range codes {
		if got == code {
			if len(codes) > 1 {
				c.Saw("answered %s (status %d)", got, ex.Status)
			}
			return got
		}
	}
	if codeIsShould {
		c.Warnf(Exchanges(ex), "refused, but with error %q instead of %s", got, strings.Join(codes, " or "))
	} else {
		c.Failf(Exchanges(ex), "expected error %s, got %q", strings.Join(codes, " or "), got)
	}
	return got
}

// Expect fails the spec through Failf (a WARN for a SHOULD or MAY spec)
// unless the exchange satisfies the Gomega matcher m (package
// suites/match); the message is what, then the matcher's one line. An
// exchange without a response satisfies no matcher.
func (c *C) Expect(ex *harness.Exchange, m types.GomegaMatcher, what string) {
	c.expect(ex, m, true, what)
}

// ExpectNot is Expect for the negation of m; an exchange without a
// response fails it too.
func (c *C) ExpectNot(ex *harness.Exchange, m types.GomegaMatcher, what string) {
	c.expect(ex, m, false, what)
}

func (c *C) expect(ex *harness.Exchange, m types.GomegaMatcher, want bool, what string) {
	ok, err := m.Match(ex)
	msg := ""
	switch {
	case err != nil:
		msg = err.Error()
	case ok == want:
		return
	case want:
		msg = m.FailureMessage(ex)
	default:
		msg = m.NegatedFailureMessage(ex)
	}
	if what != "" {
		msg = what + ": " + msg
	}
	c.Failf(Exchanges(ex), "%s", msg)
}
