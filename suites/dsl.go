package suites

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	. "github.com/onsi/ginkgo/v2"

	"github.com/oauthconform/oauthconform/suites/harness"
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

// register adds a group; spec files call it from init.
func register(g Group) { groups = append(groups, g) }

// SpecTimeout bounds one spec; slow specs (real waits) set their own.
const defaultSpecTimeout = 2 * time.Minute

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
	registry.m[a.ID] = a
	registry.Unlock()
	if e.collectOnly {
		return
	}
	labels := Label(assertionLabels(a)...)
	args := []any{labels, SpecTimeout(defaultSpecTimeout)}
	args = append(args, decorators...)
	args = append(args, func(ctx SpecContext) {
		c := &C{Context: ctx, Env: e, A: a}
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
}

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

// Failf fails the spec: a MUST breach, with the evidence.
func (c *C) Failf(evidence []*harness.Exchange, format string, args ...any) {
	Fail(c.check(harness.VerdictFail, fmt.Sprintf(format, args...), evidence).Report(), 1)
}

// Must fails the spec unless ok.
func (c *C) Must(ok bool, ex *harness.Exchange, format string, args ...any) {
	if !ok {
		c.Failf(exchanges(ex), format, args...)
	}
}

// Should records a WARN unless ok (a failure under --strict).
func (c *C) Should(ok bool, ex *harness.Exchange, format string, args ...any) {
	if !ok {
		c.Warnf(exchanges(ex), format, args...)
	}
}

// Warnf records a WARN: a SHOULD breach or an RFC-ambiguous answer.
func (c *C) Warnf(evidence []*harness.Exchange, format string, args ...any) {
	chk := c.check(harness.VerdictWarn, fmt.Sprintf(format, args...), evidence)
	AddReportEntry(EntryWarn, chk.Report(), ReportEntryVisibilityFailureOrVerbose)
	if c.Env.Strict {
		Fail("strict mode: "+chk.Report(), 1)
	}
}

// Infof records an observation.
func (c *C) Infof(format string, args ...any) {
	AddReportEntry(EntryInfo, c.A.ID+": "+fmt.Sprintf(format, args...), ReportEntryVisibilityFailureOrVerbose)
}

// Saw records which compliant answer the target gave where the RFC allows
// several (e.g. "invalid_client answered with 401").
func (c *C) Saw(format string, args ...any) {
	AddReportEntry(EntrySaw, c.A.ID+": "+fmt.Sprintf(format, args...), ReportEntryVisibilityFailureOrVerbose)
}

// Skipf skips the spec with a stated reason.
func (c *C) Skipf(format string, args ...any) {
	Skip(c.A.ID + ": " + fmt.Sprintf(format, args...))
}

func exchanges(ex ...*harness.Exchange) []*harness.Exchange {
	var out []*harness.Exchange
	for _, x := range ex {
		if x != nil {
			out = append(out, x)
		}
	}
	return out
}

// RequireGrant skips unless the target's profile enables grant g.
func (c *C) RequireGrant(g string) {
	if !c.Env.HasGrant(g) {
		c.Skipf("the %s profile does not enable the %s grant", c.Env.Profile.Name, g)
	}
	// Metadata, when the target publishes it, gates too: a grant it does not
	// advertise is skipped with that reason rather than failed.
	c.RequireAdvertised("grant_types_supported", g)
}

// RequireBCP skips an RFC 9700 requirement unless the target's profile
// claims the Security BCP (security_bcp): a plain RFC 6749 server is not
// failed for it.
func (c *C) RequireBCP() {
	if !c.Env.Profile.SecurityBCP {
		c.Skipf("an RFC 9700 (Security BCP) requirement; the %s profile does not claim RFC 9700 (security_bcp: false)", c.Env.Profile.Name)
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
func (c *C) RequireUser() *User {
	if c.Env.User == nil {
		c.Skipf("the target configuration has no resource owner (user)")
	}
	return c.Env.User
}

// RequireDriver returns the authorization driver, or skips.
func (c *C) RequireDriver() Driver {
	if c.Env.Driver == nil {
		c.Skipf("no authorization driver is configured, so no authorization codes can be obtained")
	}
	return c.Env.Driver
}

// RequireBrowser returns the user-agent driver of the authorize endpoint, or
// skips.
func (c *C) RequireBrowser() Driver {
	if c.Env.Browser == nil || c.Env.Endpoints.Authorize == "" {
		c.Skipf("no authorize endpoint or no browser-like authorization driver is configured")
	}
	return c.Env.Browser
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
// matters.
func (c *C) Tokens(ex *harness.Exchange, what string) map[string]any {
	if !Issued(ex) {
		c.Failf(exchanges(ex), "%s: expected a successful token response (2xx with an access_token)", what)
	}
	return Body(ex)
}

// Issued reports whether ex issued an access token.
func Issued(ex *harness.Exchange) bool {
	return ex.Err == nil && ex.Status >= 200 && ex.Status < 300 && Str(Body(ex), "access_token") != ""
}

// Refused checks a negative token request: it MUST NOT issue tokens, and its
// error code must be one of codes. A wrong code fails, or only warns when
// codeIsShould (a "MUST (derived)" assertion, catalogue §0.3). Status, media
// type and charsets are the TOK-ERR specs' business.
func (c *C) Refused(ex *harness.Exchange, codeIsShould bool, codes ...string) string {
	if ex.Err != nil {
		c.Failf(exchanges(ex), "the request failed at the transport level: %v", ex.Err)
	}
	if Issued(ex) {
		c.Failf(exchanges(ex), "the server issued tokens; it must refuse with %s", strings.Join(codes, " or "))
	}
	got := Str(Body(ex), "error")
	for _, code := range codes {
		if got == code {
			if len(codes) > 1 {
				c.Saw("answered %s (status %d)", got, ex.Status)
			}
			return got
		}
	}
	if codeIsShould {
		c.Warnf(exchanges(ex), "refused, but with error %q instead of %s", got, strings.Join(codes, " or "))
	} else {
		c.Failf(exchanges(ex), "expected error %s, got %q", strings.Join(codes, " or "), got)
	}
	return got
}
