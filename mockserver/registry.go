package mockserver

import (
	"fmt"
	"slices"
	"sync"

	"github.com/oauthconform/oauthconform/profile"
)

// registry is the provider's registered clients and users. Every request
// reads it: the fixtures' registrations are immutable maps behind an atomic
// pointer (Provider.reg), so a lookup is one atomic load and one map read,
// without a lock. Registrations added while the provider runs (AddClient,
// AddUser) go to concurrent maps beside them, looked up only when the
// fixtures lack the name, so adding many costs each one O(1) and never
// disturbs a request in flight. Reset replaces the whole registry.
type registry struct {
	clients map[string]*registeredClient
	// users by username; subjects by subject (the first user registered
	// with a subject has it).
	users    map[string]*registeredUser
	subjects map[string]*registeredUser
	// fixtures are the registrations the provider started with, as adapted
	// to the settings.
	fixtures *profile.Fixtures

	// Run-time registrations: *registeredClient and *registeredUser by
	// the same keys, and (under Provider.regMu) their order.
	addedClients, addedUsers, addedSubjects sync.Map
	extraClients                            []profile.Client
	extraUsers                              []profile.User
}

// registeredUser is a resource owner with the password kept only as a
// SHA-256 digest.
type registeredUser struct {
	username     string
	subject      string
	passwordHash [32]byte
	// user is the registration (its claims included).
	user *profile.User
}

func newRegisteredClient(c *profile.Client) *registeredClient {
	return &registeredClient{Client: c, secretHash: hashSecret(string(c.Secret))}
}

func newRegisteredUser(u *profile.User) *registeredUser {
	sub := u.Subject
	if sub == "" {
		sub = u.Username
	}
	return &registeredUser{username: u.Username, subject: sub, passwordHash: hashSecret(string(u.Password)), user: u}
}

// newRegistry registers the (validated, adapted) fixtures.
func newRegistry(fx *profile.Fixtures) *registry {
	r := &registry{
		clients:  make(map[string]*registeredClient, len(fx.Clients)),
		users:    make(map[string]*registeredUser, len(fx.Users)),
		subjects: make(map[string]*registeredUser, len(fx.Users)),
		fixtures: fx,
	}
	for i := range fx.Clients {
		r.clients[fx.Clients[i].ID] = newRegisteredClient(&fx.Clients[i])
	}
	for i := range fx.Users {
		r.addUser(newRegisteredUser(&fx.Users[i]))
	}
	return r
}

func (r *registry) addUser(u *registeredUser) {
	r.users[u.username] = u
	if _, taken := r.subjects[u.subject]; !taken {
		r.subjects[u.subject] = u
	}
}

// client returns the registered client with that id, or nil.
func (p *Provider) client(id string) *registeredClient {
	r := p.reg.Load()
	if c := r.clients[id]; c != nil {
		return c
	}
	if v, ok := r.addedClients.Load(id); ok {
		return v.(*registeredClient)
	}
	return nil
}

// user returns the registered user with that username, or nil.
func (p *Provider) user(username string) *registeredUser {
	r := p.reg.Load()
	if u := r.users[username]; u != nil {
		return u
	}
	if v, ok := r.addedUsers.Load(username); ok {
		return v.(*registeredUser)
	}
	return nil
}

// userBySubject returns the registered user whose subject (sub claim) is
// sub, or nil.
func (p *Provider) userBySubject(sub string) *registeredUser {
	r := p.reg.Load()
	if u := r.subjects[sub]; u != nil {
		return u
	}
	if v, ok := r.addedSubjects.Load(sub); ok {
		return v.(*registeredUser)
	}
	return nil
}

// AddClient registers a client while the provider runs, validated like the
// fixtures (profile.Fixtures.Validate: a unique id, VSCHAR id and secret,
// known grant types and auth method, JSON-encodable claims) and adapted to
// the settings like them (ForDialect: where only public clients are known
// the secret is dropped, the out-of-band redirect URI replaces the
// client's). A public client where the settings offer no public client
// authentication is refused. It is safe to call with requests in flight:
// they see the client from their next lookup on.
func (p *Provider) AddClient(c profile.Client) error {
	one := (&profile.Fixtures{Clients: []profile.Client{c}}).Clone()
	if err := one.Validate(); err != nil {
		return fmt.Errorf("mockserver: add client %q: %w", c.ID, err)
	}
	adapted := one.ForDialect(p.settings.ClientAuth.Methods, p.settings.Authorize.OOBRedirectURI)
	if len(adapted.Clients) == 0 {
		return fmt.Errorf("mockserver: add client %q: a public client, but the settings offer no public client authentication (%s)", c.ID, profile.AuthNone)
	}
	added := &adapted.Clients[0]
	p.regMu.Lock()
	defer p.regMu.Unlock()
	if p.client(added.ID) != nil {
		return fmt.Errorf("mockserver: add client %q: registered twice", added.ID)
	}
	r := p.reg.Load()
	r.addedClients.Store(added.ID, newRegisteredClient(added))
	r.extraClients = append(r.extraClients, *added)
	return nil
}

// AddUser registers a resource owner while the provider runs, validated like
// the fixtures (a unique, non-empty username; JSON-encodable claims). Its
// subject defaults to the username. It is safe to call with requests in
// flight.
func (p *Provider) AddUser(u profile.User) error {
	one := (&profile.Fixtures{Users: []profile.User{u}}).Clone()
	if err := one.Validate(); err != nil {
		return fmt.Errorf("mockserver: add user %q: %w", u.Username, err)
	}
	added := &one.Users[0]
	p.regMu.Lock()
	defer p.regMu.Unlock()
	if p.user(added.Username) != nil {
		return fmt.Errorf("mockserver: add user %q: registered twice", added.Username)
	}
	r := p.reg.Load()
	ru := newRegisteredUser(added)
	r.addedUsers.Store(ru.username, ru)
	if p.userBySubject(ru.subject) == nil {
		r.addedSubjects.Store(ru.subject, ru)
	}
	r.extraUsers = append(r.extraUsers, *added)
	return nil
}

// Fixtures returns the registered clients, users and API keys, as adapted to
// the settings, with those added by AddClient and AddUser. Treat it as
// read-only.
func (p *Provider) Fixtures() *profile.Fixtures {
	p.regMu.Lock()
	defer p.regMu.Unlock()
	r := p.reg.Load()
	if len(r.extraClients) == 0 && len(r.extraUsers) == 0 {
		return r.fixtures
	}
	fx := *r.fixtures
	fx.Clients = append(slices.Clip(fx.Clients), r.extraClients...)
	fx.Users = append(slices.Clip(fx.Users), r.extraUsers...)
	return &fx
}

// ClientByRole returns the registered client playing that role
// (profile.RolePrimary, RoleSecond, RolePublic, ...).
func (p *Provider) ClientByRole(role string) (*profile.Client, bool) {
	return p.Fixtures().ByRole(role)
}
