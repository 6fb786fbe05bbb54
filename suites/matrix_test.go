package suites_test

// The two proofs that the checks judge servers and not the mock.
//
// The quirk matrix: the specs run against the embedded mock of each dialect
// with no quirk (everything passes or skips), then with each quirk alone
// (the assertions the quirk names fail, or warn for SHOULD, and nothing else
// fails), and every implemented assertion ID is killed by at least one
// quirk: a check that cannot fail is a defect.
//
// The freedom matrix: the mock runs under every lawful choice the dialects
// leave open (opaque or other JWTs, other scopes, long-lived codes, no
// rotation, no metadata, per-client registrations...), each declared only
// as a real server would be (its metadata, its clients), and no spec may
// fail, nor warn for a reason the choice explains: a check that fails a
// compliant server is a defect too.
//
// Ginkgo runs one suite per process, so the cases run in child processes
// (this test binary, re-executed into TestMatrixChild), two at a time.

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/oauthconform/oauthconform/mockserver"
	"github.com/oauthconform/oauthconform/mockserver/mocktarget"
	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites"
	"github.com/oauthconform/oauthconform/suites/quirkids"
	"github.com/oauthconform/oauthconform/suites/report"
	"github.com/oauthconform/oauthconform/suites/target"
)

const childEnv = "OAUTHCONFORM_MATRIX_CHILD"

var dialects = []string{"rfc6749", "oauth20-intents", "merchant-customer", "oob-pkce"}

// A matrix case is one environment: a dialect, its settings and quirks, and
// the declaration the harness gets.
type matrixCase struct {
	Dialect string
	// Quirk breaks the mock; "" for none.
	Quirk string
	// Freedom names an entry of freedoms; "" for the mock's defaults.
	Freedom string
}

func (m matrixCase) name() string {
	n := m.Dialect
	if m.Freedom != "" {
		n += "~" + m.Freedom
	}
	if m.Quirk != "" {
		n += "+" + m.Quirk
	}
	return n
}

// freedom is one lawful choice of a server, and what such a server's
// target file would say.
type freedom struct {
	dialects []string
	settings func(*mockserver.Settings)
	fixtures func(*profile.Fixtures)
	// declare adds to the realistic declaration (realistic).
	declare func(*target.Target)
}

// realistic reduces the mock's full self-declaration to what a tester of a
// real server writes: where the server is, the clients (with their
// registered authentication method) and user it gave them, and a driver. Everything else (format, scopes, grants, lifetimes,
// rotation, PKCE, RFC 9700) is left for the metadata, or unknown.
func realistic(t *target.Target) {
	for _, ep := range target.AllEndpoints {
		*t.Endpoints.Field(ep) = ""
	}
	t.GrantTypes, t.ResponseTypes, t.AuthMethods = nil, nil, nil
	t.AccessToken = target.AccessToken{}
	t.PKCE, t.Rotation, t.CodeLifetime = "", "", 0
	t.Metadata, t.SecurityBCP = nil, nil
	t.Scopes = target.Scopes{}
	// The clients keep their credentials, redirect URIs and registered
	// authentication method (a tester knows how their client
	// authenticates); what else the server holds them to is not declared.
	for _, c := range t.Clients {
		c.Scopes, c.GrantTypes, c.ResponseTypes, c.RequirePKCE, c.Native = nil, nil, nil, nil, false
	}
}

func set(f func(*mockserver.Settings)) func(*mockserver.Settings) { return f }

var freedoms = map[string]freedom{
	// The mock's defaults, declared realistically: the baseline of the
	// freedom matrix.
	"realistic": {},
	"opaque": {dialects: []string{"rfc6749", "merchant-customer"}, settings: set(func(s *mockserver.Settings) {
		s.AccessToken.Format, s.AccessToken.Typ, s.AccessToken.Alg = profile.FormatOpaque, "", ""
	})},
	// Plain JWTs that do not name their client (no client_id): the mock
	// knows each by its record.
	"plain-jwt": {dialects: []string{"rfc6749", "oauth20-intents"}, settings: set(func(s *mockserver.Settings) {
		s.AccessToken.Format, s.AccessToken.Typ, s.AccessToken.Claims = profile.FormatJWT, "", nil
	}), declare: func(t *target.Target) { t.AccessToken.Format = profile.FormatJWT }},
	"rfc9068-declared": {dialects: []string{"rfc6749"}, declare: func(t *target.Target) {
		t.AccessToken.Format = profile.FormatJWTRFC9068
	}},
	"other-scopes": {dialects: []string{"rfc6749", "oauth20-intents"}, settings: set(func(s *mockserver.Settings) {
		s.Scopes.Supported, s.Scopes.Default = []string{"alpha", "beta", "gamma", "delta"}, "beta gamma"
	})},
	"declared-scopes": {dialects: []string{"rfc6749"}, declare: func(t *target.Target) {
		t.Scopes.Supported = []string{"read", "write", "admin"}
		d := "read"
		t.Scopes.Default = &d
	}},
	"required-scope": {dialects: []string{"rfc6749"}, settings: set(func(s *mockserver.Settings) {
		s.Scopes.Supported, s.Scopes.Default, s.Scopes.Required = []string{"openid", "read", "write"}, "", []string{"openid"}
	}), declare: func(t *target.Target) { t.Scopes.Required = []string{"openid"} }},
	"ignore-unknown-scope": {dialects: []string{"rfc6749", "merchant-customer"}, settings: set(func(s *mockserver.Settings) {
		s.Scopes.Unknown = profile.UnknownScopeIgnore
	})},
	"long-codes": {dialects: []string{"rfc6749", "oob-pkce"}, settings: set(func(s *mockserver.Settings) {
		s.Code.Lifetime = profile.Duration(5 * time.Minute)
	})},
	"no-rotation": {dialects: []string{"rfc6749", "oauth20-intents", "oob-pkce"}, settings: set(func(s *mockserver.Settings) {
		s.RefreshToken.Rotation, s.SecurityBCP = profile.RotationNever, false
	})},
	"rotation-public-only": {dialects: []string{"rfc6749", "oob-pkce"}, settings: set(func(s *mockserver.Settings) {
		s.RefreshToken.Rotation = profile.RotationPublicOnly
	})},
	"rotation-always": {dialects: []string{"oauth20-intents", "merchant-customer"}, settings: set(func(s *mockserver.Settings) {
		s.RefreshToken.Rotation = profile.RotationAlways
	})},
	"no-password": {dialects: []string{"rfc6749"}, settings: set(func(s *mockserver.Settings) {
		s.GrantTypes = slices.DeleteFunc(slices.Clone(s.GrantTypes), func(g string) bool { return g == profile.GrantPassword })
		s.RefreshToken.IssueFor = slices.DeleteFunc(slices.Clone(s.RefreshToken.IssueFor), func(g string) bool { return g == profile.GrantPassword })
	})},
	"no-metadata": {settings: set(func(s *mockserver.Settings) { s.Metadata = new(false) })},
	"no-optional-endpoints": {dialects: []string{"rfc6749", "oauth20-intents", "oob-pkce"}, settings: set(func(s *mockserver.Settings) {
		s.Endpoints.Revocation, s.Endpoints.Introspection, s.Endpoints.Resource = "", "", ""
	})},
	"no-implicit": {dialects: []string{"rfc6749"}, settings: set(func(s *mockserver.Settings) {
		s.ResponseTypes = []string{profile.ResponseCode}
	})},
	"pkce-per-client": {dialects: []string{"rfc6749", "oob-pkce"}, fixtures: func(f *profile.Fixtures) {
		for i := range f.Clients {
			if f.Clients[i].Role == profile.RolePrimary || f.Clients[i].Role == profile.RoleSecond {
				f.Clients[i].RequirePKCE = true
			}
		}
	}},
	"auth-per-client": {dialects: []string{"rfc6749", "oauth20-intents", "merchant-customer"}, fixtures: func(f *profile.Fixtures) {
		for i := range f.Clients {
			switch f.Clients[i].Role {
			case profile.RolePrimary:
				f.Clients[i].AuthMethod = profile.AuthPost
			case profile.RoleSecond:
				f.Clients[i].AuthMethod = profile.AuthBasic
			}
		}
	}},
	"query-set": {dialects: []string{"rfc6749"}, settings: set(func(s *mockserver.Settings) {
		s.Authorize.RedirectQuery = mockserver.QuerySet
	})},
	"state-required": {dialects: []string{"rfc6749", "oauth20-intents"}, settings: set(func(s *mockserver.Settings) {
		s.Authorize.RequireState = true
	})},
	"base32-codes": {dialects: []string{"rfc6749", "oob-pkce"}, settings: set(func(s *mockserver.Settings) {
		s.Code.Style = mockserver.CodeBase32
	})},
	"loopback-native-only": {dialects: []string{"rfc6749"}, settings: set(func(s *mockserver.Settings) {
		s.Authorize.LoopbackPorts = mockserver.LoopbackNative
	}), fixtures: func(f *profile.Fixtures) {
		for i := range f.Clients {
			if f.Clients[i].Public() {
				f.Clients[i].Native = true
			}
		}
	}, declare: func(t *target.Target) {
		for _, c := range t.Clients {
			if c.Public() {
				c.Native = true
			}
		}
	}},
	"deny-link": {dialects: []string{"rfc6749", "oob-pkce"}, settings: set(func(s *mockserver.Settings) { s.Authorize.Deny = mockserver.DenyLink })},
	"deny-form": {dialects: []string{"rfc6749"}, settings: set(func(s *mockserver.Settings) { s.Authorize.Deny = mockserver.DenyForm })},
	"public-cc-invalid-client": {dialects: []string{"rfc6749"}, settings: set(func(s *mockserver.Settings) {
		s.PublicClientCredentialsError = "invalid_client"
	})},
	// An open scope vocabulary: any well-formed value is granted as
	// requested (RFC 6749 §3.3); the metadata still lists the known ones.
	// merchant-customer fixes its vocabulary.
	"open-scopes": {dialects: []string{"rfc6749", "oauth20-intents", "oob-pkce"}, settings: set(func(s *mockserver.Settings) {
		s.Scopes.Unknown = mockserver.UnknownScopeAccept
	})},
	// A single-page application on the same host answers every other path
	// with its page; the server has no revocation, introspection or JWKS
	// endpoint (so the guessed paths reach the page), and, to drop the
	// JWKS, is no OpenID Provider.
	"not-found-html": {settings: set(func(s *mockserver.Settings) {
		s.NotFound = mockserver.NotFoundHTML
		withoutOptionalEndpoints(s)
	})},
	"not-found-html-no-metadata": {settings: set(func(s *mockserver.Settings) {
		s.NotFound, s.Metadata = mockserver.NotFoundHTML, new(false)
		withoutOptionalEndpoints(s)
	})},
	// A gateway asks for its own credentials on every path the server does
	// not serve.
	"not-found-gateway-401": {settings: set(func(s *mockserver.Settings) {
		s.NotFound = mockserver.NotFoundGateway401
		withoutOptionalEndpoints(s)
	})},
	"not-found-gateway-401-no-metadata": {settings: set(func(s *mockserver.Settings) {
		s.NotFound, s.Metadata = mockserver.NotFoundGateway401, new(false)
		withoutOptionalEndpoints(s)
	})},
	// The authorization response reaches the client through a page (meta
	// refresh and location.replace), not a 302/303 (RFC 6749 §3.1.2, §1.7).
	"redirect-page": {dialects: []string{"rfc6749", "oauth20-intents"}, settings: set(func(s *mockserver.Settings) {
		s.Authorize.Redirect = mockserver.RedirectPage
	})},
	// Only a resource server (a client that is none of the harness's roles)
	// may introspect (RFC 7662 §2.1): the others get 401 invalid_client, see
	// every token inactive, or see only their own tokens (§2.2).
	"introspection-rs-only": {dialects: []string{"rfc6749", "oauth20-intents", "merchant-customer", "oob-pkce"}, settings: set(func(s *mockserver.Settings) {
		s.Introspection = mockserver.IntrospectionSettings{Clients: []string{resourceServerID}}
	}), fixtures: withResourceServer},
	"introspection-rs-only-inactive": {dialects: []string{"rfc6749", "oauth20-intents", "merchant-customer", "oob-pkce"}, settings: set(func(s *mockserver.Settings) {
		s.Introspection = mockserver.IntrospectionSettings{Clients: []string{resourceServerID}, Unlisted: mockserver.IntrospectionInactive}
	}), fixtures: withResourceServer},
	"introspection-own-tokens": {dialects: []string{"rfc6749", "oauth20-intents", "merchant-customer", "oob-pkce"}, settings: set(func(s *mockserver.Settings) {
		s.Introspection = mockserver.IntrospectionSettings{Clients: []string{resourceServerID}, Unlisted: mockserver.IntrospectionOwnTokens}
	}), fixtures: withResourceServer},
	// The token endpoint looks at grant_type before the client credentials
	// (RFC 6749 §5.2 orders no checks).
	"grant-first": {settings: set(func(s *mockserver.Settings) {
		s.TokenRequest.CheckOrder = mockserver.CheckGrantFirst
	})},
	// invalid_client is 400 when the client did not use the Authorization
	// header (RFC 6749 §5.2: 401 is a MUST only for that header).
	"invalid-client-400": {dialects: []string{"rfc6749", "oauth20-intents", "merchant-customer"}, settings: set(func(s *mockserver.Settings) {
		s.ClientAuth.InvalidClientStatus = 400
	})},
}

// resourceServerID is the client of the introspection freedoms that may
// introspect: a resource server, none of the harness's roles.
const resourceServerID = "resource-server"

func withResourceServer(f *profile.Fixtures) {
	f.Clients = append(f.Clients, profile.Client{ID: resourceServerID, Secret: "resource-server-secret", GrantTypes: []string{profile.GrantClientCredentials}})
}

// withoutOptionalEndpoints removes the revocation, introspection and JWKS
// endpoints (and OpenID Connect, which needs the JWKS).
func withoutOptionalEndpoints(s *mockserver.Settings) {
	s.Endpoints.Revocation, s.Endpoints.Introspection, s.Endpoints.JWKS = "", "", ""
	s.OIDC = false
}

// options builds the embedded target of a case.
func (m matrixCase) options() mocktarget.Options {
	o := mocktarget.Options{Name: m.name()}
	if m.Quirk != "" {
		o.Quirks = []string{m.Quirk}
	}
	if m.Freedom == "" {
		return o
	}
	f := freedoms[m.Freedom]
	o.Settings = f.settings
	if f.fixtures != nil {
		fx := profile.DefaultFixtures()
		f.fixtures(fx)
		o.Fixtures = fx
	}
	o.Declare = func(t *target.Target) {
		realistic(t)
		if f.declare != nil {
			f.declare(t)
		}
	}
	return o
}

type childConfig struct {
	Cases []matrixCase `json:"cases"`
	Out   string       `json:"out"`
}

type childResult struct {
	Env   string `json:"env"`
	ID    string `json:"id"`
	Level string `json:"level"`
	State string `json:"state"`
	Warn  bool   `json:"warn"`
	Msg   string `json:"msg"`
}

// TestMatrixChild is the child side; it does nothing in a normal run.
func TestMatrixChild(t *testing.T) {
	raw := os.Getenv(childEnv)
	if raw == "" {
		t.Skip("runs only as a child of the matrix tests")
	}
	var cfg childConfig
	if err := json.Unmarshal([]byte(raw), &cfg); err != nil {
		t.Fatal(err)
	}
	var envs []*suites.Env
	for _, m := range cfg.Cases {
		e, stop, err := mocktarget.Start(context.Background(), m.Dialect, m.options())
		if err != nil {
			t.Fatalf("%s: %v", m.name(), err)
		}
		defer stop()
		envs = append(envs, e)
	}
	// Failures are the point here: they go to the result file, not to t.
	res, err := suites.Run(suites.RunConfig{Envs: envs, NoColor: true})
	if err != nil {
		t.Fatal(err)
	}
	var out []childResult
	for _, c := range res.Run.Checks {
		out = append(out, childResult{Env: c.Target, ID: c.ID, Level: c.Level, State: childState(c), Warn: len(c.Warnings) > 0, Msg: firstLine(c.Reason + strings.Join(c.Warnings, " | "))})
	}
	b, _ := json.Marshal(out)
	if err := os.WriteFile(cfg.Out, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// childState is a check's state as the matrices compare it: a WARN passed.
func childState(c report.Check) string {
	switch c.Verdict {
	case report.Pass, report.Warn:
		return "passed"
	case report.Fail:
		return "failed"
	case report.NotRun:
		return "not-run"
	}
	return "skipped"
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

func isChild() bool { return os.Getenv(childEnv) != "" }

func TestMain(m *testing.M) {
	code := m.Run()
	if childBin.dir != "" {
		_ = os.RemoveAll(childBin.dir)
	}
	os.Exit(code)
}

var childBin struct {
	once      sync.Once
	path, dir string
}

// matrixBinary is the test binary the matrix children run: this one, or,
// when this one has the race detector, the same tests built without it
// (once per run, from the build cache). The matrices judge verdicts, not
// concurrency (TestSuites and the mock's own tests run under -race), and
// the detector makes their hundreds of runs several times slower.
// OAUTHCONFORM_MATRIX_RACE=1 keeps it.
func matrixBinary(t *testing.T) string {
	childBin.once.Do(func() {
		childBin.path = os.Args[0]
		if !raceOn || os.Getenv("OAUTHCONFORM_MATRIX_RACE") != "" {
			return
		}
		goBin, err := exec.LookPath("go")
		if err != nil {
			t.Logf("no go command, the matrix children run with -race: %v", err)
			return
		}
		dir, err := os.MkdirTemp("", "oauthconform-matrix-")
		if err != nil {
			t.Logf("the matrix children run with -race: %v", err)
			return
		}
		childBin.dir = dir
		bin := filepath.Join(dir, "suites.test")
		start := time.Now()
		if out, err := exec.Command(goBin, "test", "-c", "-o", bin, ".").CombinedOutput(); err != nil {
			t.Logf("building the matrix children without -race failed, they run with it: %v\n%s", err, out)
			return
		}
		t.Logf("matrix children built without -race in %s", time.Since(start).Round(time.Millisecond))
		childBin.path = bin
	})
	return childBin.path
}

// runCases runs the cases in child processes, two at a time (one per core),
// and returns the results by environment name.
func runCases(t *testing.T, groups [][]matrixCase) map[string][]childResult {
	t.Helper()
	dir := t.TempDir()
	results := map[string][]childResult{}
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 2)
	bin := matrixBinary(t)
	var done atomic.Int32
	start := time.Now()
	for i, cases := range groups {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			// Progress for `make test`, which streams this package's output.
			defer func() {
				fmt.Printf("%s: %d/%d runs done (%s)\n", t.Name(), done.Add(1), len(groups), time.Since(start).Round(time.Second))
			}()
			out := filepath.Join(dir, fmt.Sprintf("%d.json", i))
			cfg, _ := json.Marshal(childConfig{Cases: cases, Out: out})
			ctx, cancel := context.WithTimeout(context.Background(), 8*time.Minute)
			defer cancel()
			cmd := exec.CommandContext(ctx, bin, "-test.run=^TestMatrixChild$", "-test.count=1")
			cmd.Env = append(os.Environ(), childEnv+"="+string(cfg))
			if b, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("child %d (%s...): %v\n%s", i, cases[0].name(), err, b)
				return
			}
			b, err := os.ReadFile(out)
			if err != nil {
				t.Errorf("child %d: %v", i, err)
				return
			}
			var rs []childResult
			if err := json.Unmarshal(b, &rs); err != nil {
				t.Errorf("child %d: %v", i, err)
				return
			}
			mu.Lock()
			defer mu.Unlock()
			for _, r := range rs {
				results[r.Env] = append(results[r.Env], r)
			}
		})
	}
	wg.Wait()
	return results
}

// TestConformance: the specs against the embedded mock of every dialect,
// as the mock declares itself: everything passes or skips with a reason.
func TestConformance(t *testing.T) {
	if isChild() {
		t.Skip("child")
	}
	var groups [][]matrixCase
	for _, d := range dialects {
		groups = append(groups, []matrixCase{{Dialect: d}})
	}
	for env, rs := range runCases(t, groups) {
		for _, r := range rs {
			if r.State == "failed" {
				t.Errorf("%s fails %s: %s", env, r.ID, r.Msg)
			}
		}
	}
}

// TestQuirkMatrix is the proof that every check can fail.
// OAUTHCONFORM_MATRIX_QUIRKS=a,b limits it to some quirks while working on
// them; OAUTHCONFORM_MATRIX_PRINT=1 prints quirk → IDs.
func TestQuirkMatrix(t *testing.T) {
	if isChild() {
		t.Skip("child")
	}
	quirks := mockserver.Quirks()
	if only := os.Getenv("OAUTHCONFORM_MATRIX_QUIRKS"); only != "" {
		want := strings.Split(only, ",")
		quirks = slices.DeleteFunc(quirks, func(q mockserver.QuirkInfo) bool { return !slices.Contains(want, q.Name) })
	}
	var groups [][]matrixCase
	for _, d := range dialects {
		// Each dialect's cases in two children, so the two cores stay busy.
		half := [2][]matrixCase{{{Dialect: d}}, {{Dialect: d}}}
		for i, q := range quirks {
			half[i%2] = append(half[i%2], matrixCase{Dialect: d, Quirk: q.Name})
		}
		groups = append(groups, half[0], half[1])
	}
	results := runCases(t, groups)
	if t.Failed() {
		return
	}

	implemented := map[string]bool{}
	killedBy := map[string][]string{}   // assertion ID -> quirks that kill it
	quirkKills := map[string][]string{} // quirk -> IDs it killed
	// cleanWarn[dialect][ID]: the correct mock already warns, so a warning
	// with a quirk kills nothing.
	cleanWarn := map[string]map[string]bool{}
	for _, d := range dialects {
		cleanWarn[d] = map[string]bool{}
		for _, r := range results[d] {
			if r.Warn {
				cleanWarn[d][r.ID] = true
			}
		}
	}
	for env, rs := range results {
		d, quirk, _ := strings.Cut(env, "+")
		for _, r := range rs {
			// INFO-level assertions only observe (e.g. TOK-ERR-006): they
			// cannot fail by design and are exempt from the kill rule.
			if r.Level != "INFO" {
				implemented[r.ID] = true
			}
			newWarn := r.Warn && !cleanWarn[d][r.ID]
			killed := r.State == "failed" || (newWarn && r.Level != "MUST")
			if quirk == "" {
				if r.State == "failed" {
					t.Errorf("correct mock %s fails %s: %s", d, r.ID, r.Msg)
				}
				continue
			}
			ids := quirkids.IDs(quirk)
			if !killed {
				// A WARN of a MUST assertion kills nothing (the assertion
				// still needs a quirk that fails it), but it is the catch a
				// quirk naming the assertion's SHOULD part expects.
				if newWarn && slices.Contains(ids, r.ID) && !slices.Contains(quirkKills[quirk], r.ID) {
					quirkKills[quirk] = append(quirkKills[quirk], r.ID)
				}
				continue
			}
			if r.State == "failed" && !slices.Contains(ids, r.ID) {
				t.Errorf("quirk %s on %s also fails %s, which it does not name: %s", quirk, d, r.ID, r.Msg)
			}
			if !slices.Contains(killedBy[r.ID], quirk) {
				killedBy[r.ID] = append(killedBy[r.ID], quirk)
			}
			if !slices.Contains(quirkKills[quirk], r.ID) {
				quirkKills[quirk] = append(quirkKills[quirk], r.ID)
			}
		}
	}
	for _, q := range quirks {
		for _, id := range quirkids.IDs(q.Name) {
			if implemented[id] && !slices.Contains(quirkKills[q.Name], id) {
				t.Errorf("quirk %s names %s, but no dialect's %s spec failed or warned with it", q.Name, id, id)
			}
		}
	}
	if os.Getenv("OAUTHCONFORM_MATRIX_QUIRKS") == "" {
		var ids []string
		for id := range implemented {
			ids = append(ids, id)
		}
		sort.Strings(ids)
		for _, id := range ids {
			if len(killedBy[id]) == 0 {
				t.Errorf("assertion %s is implemented but no quirk makes its spec fail: a check that cannot fail", id)
			}
		}
	}
	if testing.Verbose() || os.Getenv("OAUTHCONFORM_MATRIX_PRINT") != "" {
		names := make([]string, 0, len(quirkKills))
		for q := range quirkKills {
			names = append(names, q)
		}
		sort.Strings(names)
		for _, q := range names {
			ids := quirkKills[q]
			sort.Strings(ids)
			fmt.Printf("%-40s %s\n", q, strings.Join(ids, " "))
		}
	}
}

// TestFreedomMatrix is the proof that no check fails a compliant server:
// the mock under every lawful choice, declared as a real server would be,
// gives no FAIL, and no WARN beyond those of the same dialect's realistic
// baseline. OAUTHCONFORM_MATRIX_PRINT=1 prints each case's verdict counts.
func TestFreedomMatrix(t *testing.T) {
	if isChild() {
		t.Skip("child")
	}
	names := make([]string, 0, len(freedoms))
	for n := range freedoms {
		names = append(names, n)
	}
	sort.Strings(names)
	var all []matrixCase
	for _, d := range dialects {
		for _, n := range names {
			if f := freedoms[n]; f.dialects == nil || slices.Contains(f.dialects, d) {
				all = append(all, matrixCase{Dialect: d, Freedom: n})
			}
		}
	}
	groups := make([][]matrixCase, 4)
	for i, m := range all {
		groups[i%4] = append(groups[i%4], m)
	}
	results := runCases(t, groups)
	if t.Failed() {
		return
	}
	baseWarn := map[string]map[string]bool{}
	for _, d := range dialects {
		baseWarn[d] = map[string]bool{}
		for _, r := range results[matrixCase{Dialect: d, Freedom: "realistic"}.name()] {
			if r.Warn {
				baseWarn[d][r.ID] = true
			}
		}
	}
	for _, m := range all {
		rs, ok := results[m.name()]
		if !ok {
			t.Errorf("%s: no results", m.name())
			continue
		}
		var pass, fail, warn, skip int
		for _, r := range rs {
			switch {
			case r.State == "failed":
				fail++
				t.Errorf("%s: %s FAILS a compliant server: %s", m.name(), r.ID, r.Msg)
			case r.State == "skipped":
				skip++
			case r.Warn && !baseWarn[m.Dialect][r.ID]:
				warn++
				t.Errorf("%s: %s warns for a lawful choice: %s", m.name(), r.ID, r.Msg)
			default:
				pass++
			}
		}
		if testing.Verbose() || os.Getenv("OAUTHCONFORM_MATRIX_PRINT") != "" {
			fmt.Printf("%-48s %3d passed %3d failed %3d new warnings %3d skipped\n", m.name(), pass, fail, warn, skip)
		}
	}
}

// TestSuitesDoNotImportTheMock: the suites judge servers; the embedded mock
// is one more target, wired in from outside.
func TestSuitesDoNotImportTheMock(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", "github.com/oauthconform/oauthconform/suites").Output()
	if err != nil {
		t.Skipf("go list: %v", err)
	}
	for _, p := range strings.Fields(string(out)) {
		if strings.HasPrefix(p, "github.com/oauthconform/oauthconform/mockserver") {
			t.Fatalf("package suites depends on %s", p)
		}
	}
}
