package profile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"maps"
	"os"
	"slices"

	"go.yaml.in/yaml/v3"

	"github.com/oauthconform/oauthconform/fixtures"
)

// Client roles: which part a registered client plays in the suites
// (shared/assertions.md §0.1 names them C1, C2, P1, CR, CX, CM, CQ).
const (
	RolePrimary       = "primary"
	RoleSecond        = "second"
	RolePublic        = "public"
	RolePublic2       = "public-2" // P2, a second public client
	RoleRestricted    = "restricted"
	RoleNoCode        = "no-code" // a client not allowed the authorization_code grant (AUTHZ-ERR-005)
	RoleReservedChars = "reserved-chars"
	RoleMultiRedirect = "multi-redirect"
	RoleQueryRedirect = "query-redirect"
	// RoleSacrificial is a client the brute-force checks may lock out.
	RoleSacrificial = "sacrificial"
)

// Secret is a credential that must never be printed: its String, GoString and
// slog forms are redacted. Use string(s) where the raw value is needed.
type Secret string

const redacted = "[REDACTED]"

func (s Secret) String() string { return redactIf(s) }

// GoString keeps %#v redacted too.
func (s Secret) GoString() string { return redactIf(s) }

// LogValue redacts the secret in slog output.
func (s Secret) LogValue() slog.Value { return slog.StringValue(redactIf(s)) }

func redactIf(s Secret) string {
	if s == "" {
		return ""
	}
	return redacted
}

// Client is a registered OAuth client.
type Client struct {
	ID string `yaml:"id"`
	// Secret is empty for a public client.
	Secret Secret `yaml:"secret,omitempty"`
	Role   string `yaml:"role,omitempty"`
	// RedirectURIs are compared exactly, except that a loopback http URI may
	// vary its port (RFC 8252 §7.3).
	RedirectURIs []string `yaml:"redirect_uris,omitempty"`
	// GrantTypes the client may use; empty means every grant of the profile.
	GrantTypes []string `yaml:"grant_types,omitempty"`
	// Scopes the client may request; empty means every scope of the profile.
	Scopes []string `yaml:"scopes,omitempty"`
	// RequirePKCE makes the authorize endpoint refuse requests without a
	// code_challenge for this client.
	RequirePKCE bool `yaml:"require_pkce,omitempty"`
	// AuthMethod is the client's registered token endpoint authentication
	// method (RFC 7591 token_endpoint_auth_method); empty accepts every
	// method the provider offers.
	AuthMethod string `yaml:"auth_method,omitempty"`
	// Native marks a native application (RFC 8252): its loopback redirect
	// URIs may use any port.
	Native bool `yaml:"native,omitempty"`
	// AccessTokenClaims are extra claims of every access token issued to
	// the client, of any JSON type, by claim name (see User's).
	AccessTokenClaims map[string]any `yaml:"access_token_claims,omitempty"`
}

// Public reports whether the client has no secret.
func (c *Client) Public() bool { return c.Secret == "" }

// AllowsGrant reports whether the client may use grant g.
func (c *Client) AllowsGrant(g string) bool {
	return len(c.GrantTypes) == 0 || slices.Contains(c.GrantTypes, g)
}

// User is a resource owner.
type User struct {
	Username string `yaml:"username"`
	Password Secret `yaml:"password"`
	// Subject is the sub claim; defaults to the username.
	Subject string `yaml:"subject,omitempty"`
	// Claims are the user's claims (OpenID Connect's standard claims such
	// as name, email and email_verified, and any others), by claim name.
	Claims map[string]any `yaml:"claims,omitempty"`
	// AccessTokenClaims are extra claims of every access token issued for
	// the user, of any JSON type, by claim name; they override the client's
	// of the same name. Unlike Claims they are released whatever the scope.
	// A registered claim (sub, aud, iss, exp, iat, nbf, jti, client_id,
	// scope) replaces the provider's own value.
	AccessTokenClaims map[string]any `yaml:"access_token_claims,omitempty"`
}

// Fixtures are the registrations a provider starts with.
type Fixtures struct {
	// Mode, in a --config file: "extend" (default) adds to and overrides the
	// defaults by id/username; "replace" drops the defaults.
	Mode    string   `yaml:"mode,omitempty"`
	Clients []Client `yaml:"clients"`
	Users   []User   `yaml:"users"`
	APIKeys []Secret `yaml:"api_keys,omitempty"`
}

// DefaultFixtures returns the committed default fixtures.
func DefaultFixtures() *Fixtures {
	b, err := fixtures.FS.ReadFile("default.yaml")
	if err != nil {
		panic("fixtures: default.yaml missing from embed: " + err.Error())
	}
	f, err := ParseFixtures(b)
	if err != nil {
		panic("fixtures: default.yaml: " + err.Error())
	}
	return f
}

// LoadFixturesFile reads a fixtures file and merges it with the defaults
// according to its mode.
func LoadFixturesFile(file string) (*Fixtures, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("fixtures: %w", err)
	}
	f, err := ParseFixtures(b)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if f.Mode == "replace" {
		return f, nil
	}
	return DefaultFixtures().Merge(f), nil
}

// ParseFixtures decodes and validates a fixtures document.
func ParseFixtures(b []byte) (*Fixtures, error) {
	var f Fixtures
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("fixtures: empty document")
		}
		return nil, fmt.Errorf("fixtures: %w", err)
	}
	if err := f.Validate(); err != nil {
		return nil, err
	}
	return &f, nil
}

// registerID records id, the field of list[i], in seen: an error when it is
// empty or already there.
func registerID(seen map[string]bool, list string, i int, field, id string) error {
	if id == "" {
		return fmt.Errorf("fixtures: %s[%d].%s: required", list, i, field)
	}
	if seen[id] {
		return fmt.Errorf("fixtures: %s[%d].%s: %q registered twice", list, i, field, id)
	}
	seen[id] = true
	return nil
}

// Validate checks for missing and duplicate identifiers.
func (f *Fixtures) Validate() error {
	if f.Mode != "" && f.Mode != "extend" && f.Mode != "replace" {
		return fmt.Errorf("fixtures: mode: %q is not one of extend, replace", f.Mode)
	}
	seen := map[string]bool{}
	for i, c := range f.Clients {
		if err := registerID(seen, "clients", i, "id", c.ID); err != nil {
			return err
		}
		switch c.AuthMethod {
		case "", AuthBasic, AuthPost, AuthNone:
		default:
			return fmt.Errorf("fixtures: clients[%d].auth_method: %q is not one of %s, %s, %s", i, c.AuthMethod, AuthBasic, AuthPost, AuthNone)
		}
		if !VSChars(c.ID) || !VSChars(string(c.Secret)) {
			return fmt.Errorf("fixtures: clients[%d]: client_id and client_secret must be VSCHAR (%%x20-7E, RFC 6749 App. A.1, A.2)", i)
		}
		for j, g := range c.GrantTypes {
			switch g {
			case GrantAuthorizationCode, GrantClientCredentials, GrantPassword, GrantRefreshToken:
			default:
				return fmt.Errorf("fixtures: clients[%d].grant_types[%d]: %q is not a grant type", i, j, g)
			}
		}
		if err := ValidClaims(c.AccessTokenClaims); err != nil {
			return fmt.Errorf("fixtures: clients[%d].access_token_claims: %w", i, err)
		}
	}
	users := map[string]bool{}
	for i, u := range f.Users {
		if err := registerID(users, "users", i, "username", u.Username); err != nil {
			return err
		}
		if err := ValidClaims(u.Claims); err != nil {
			return fmt.Errorf("fixtures: users[%d].claims: %w", i, err)
		}
		if err := ValidClaims(u.AccessTokenClaims); err != nil {
			return fmt.Errorf("fixtures: users[%d].access_token_claims: %w", i, err)
		}
	}
	return nil
}

// ValidClaims checks a set of JWT claims: non-empty names and values that
// encode as JSON (a YAML mapping with a non-string key does not).
func ValidClaims(claims map[string]any) error {
	if len(claims) == 0 {
		return nil
	}
	for _, k := range slices.Sorted(maps.Keys(claims)) {
		if k == "" {
			return errors.New("a claim name is empty")
		}
		if _, err := json.Marshal(claims[k]); err != nil {
			return fmt.Errorf("%s: not encodable as JSON: %w", k, err)
		}
	}
	return nil
}

// Merge returns f extended by o: entries of o replace those of f with the
// same id or username, others are appended.
func (f *Fixtures) Merge(o *Fixtures) *Fixtures {
	out := f.Clone()
	for _, c := range o.Clients {
		if i := slices.IndexFunc(out.Clients, func(x Client) bool { return x.ID == c.ID }); i >= 0 {
			out.Clients[i] = c
		} else {
			out.Clients = append(out.Clients, c)
		}
	}
	for _, u := range o.Users {
		if i := slices.IndexFunc(out.Users, func(x User) bool { return x.Username == u.Username }); i >= 0 {
			out.Users[i] = u
		} else {
			out.Users = append(out.Users, u)
		}
	}
	for _, k := range o.APIKeys {
		if !slices.Contains(out.APIKeys, k) {
			out.APIKeys = append(out.APIKeys, k)
		}
	}
	return out
}

// Clone returns a deep copy.
func (f *Fixtures) Clone() *Fixtures {
	out := &Fixtures{Mode: f.Mode, Users: slices.Clone(f.Users), APIKeys: slices.Clone(f.APIKeys)}
	for i := range out.Users {
		out.Users[i].Claims = maps.Clone(out.Users[i].Claims)
		out.Users[i].AccessTokenClaims = maps.Clone(out.Users[i].AccessTokenClaims)
	}
	for _, c := range f.Clients {
		c.RedirectURIs = slices.Clone(c.RedirectURIs)
		c.GrantTypes = slices.Clone(c.GrantTypes)
		c.Scopes = slices.Clone(c.Scopes)
		c.AccessTokenClaims = maps.Clone(c.AccessTokenClaims)
		out.Clients = append(out.Clients, c)
	}
	return out
}

// ForDialect adapts the fixtures to a provider offering the client
// authentication methods given, with an out-of-band redirect URI when oob is
// set: where only public clients are known every client loses its secret;
// where there are no public clients, public registrations are dropped; an
// out-of-band provider gives every client the out-of-band redirect URI.
func (f *Fixtures) ForDialect(methods []string, oob string) *Fixtures {
	out := f.Clone()
	onlyPublic := len(methods) == 1 && methods[0] == AuthNone
	clients := out.Clients[:0]
	for _, c := range out.Clients {
		if onlyPublic {
			c.Secret = ""
			c.AuthMethod = ""
		} else if c.Public() && !slices.Contains(methods, AuthNone) {
			continue
		}
		if oob != "" {
			c.RedirectURIs = []string{oob}
		}
		clients = append(clients, c)
	}
	out.Clients = clients
	return out
}

// Client returns the client with that id.
func (f *Fixtures) Client(id string) (*Client, bool) {
	for i := range f.Clients {
		if f.Clients[i].ID == id {
			return &f.Clients[i], true
		}
	}
	return nil, false
}

// ByRole returns the first client with that role.
func (f *Fixtures) ByRole(role string) (*Client, bool) {
	for i := range f.Clients {
		if f.Clients[i].Role == role {
			return &f.Clients[i], true
		}
	}
	return nil, false
}
