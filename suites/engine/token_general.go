package engine

import (
	"context"
	"fmt"

	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/harness"
)

// ClientCredentialsWork reports whether cl can get tokens with client_credentials: the
// grant is promised (declared or advertised, and not excluded for the
// client), or, where nothing says, one request succeeded. The answer is
// kept per client.
func (e *Env) ClientCredentialsWork(ctx context.Context, cl *Client) bool {
	if cl.Public() || !e.HasGrant(profile.GrantClientCredentials) {
		return false
	}
	switch ClientGrant(cl, profile.GrantClientCredentials) {
	case Absent:
		return false
	case Declared:
		return true
	}
	if s, _ := e.Grant(profile.GrantClientCredentials); s.Expected() {
		return true
	}
	if e.absent == nil {
		return false
	}
	key := "cc:" + cl.ID
	if v, ok := e.absent.Load(key); ok {
		return v.(bool)
	}
	ex := e.ClientCredentials(ctx, cl, e.Scopes.S1)
	ok := Issued(ex)
	if ex.Err == nil && ex.Status < 500 {
		// A timeout or a server error says nothing of the grant: asked
		// again next time (and reported by the specs that send it).
		e.absent.Store(key, ok)
		if !ok {
			e.absent.Store("ccwhy:"+cl.ID, ccRefusal(ex))
		}
	}
	return ok
}

// ccRefusal says what a refused client_credentials probe answered. An
// invalid_client is a refusal of the credentials, not of the grant, and is
// named as such.
func ccRefusal(ex *harness.Exchange) string {
	code := Str(Body(ex), "error")
	switch code {
	case "invalid_client":
		return fmt.Sprintf("a client_credentials request was refused with invalid_client (status %d): the server refused the client's credentials or its authentication method for this grant, so nothing could be checked with it", ex.Status)
	case "":
		return fmt.Sprintf("a client_credentials request got status %d without an OAuth error, and nothing promised the grant", ex.Status)
	}
	return fmt.Sprintf("a client_credentials request was refused (%s, status %d) and nothing promised the grant", code, ex.Status)
}

// ClientCredentialsWhy says why cl cannot use client_credentials (for a
// skip message): a public client, a grant the server does not offer or
// the client is not registered for, or the refusal of an earlier probe.
func (e *Env) ClientCredentialsWhy(cl *Client) string {
	if cl.Public() {
		return "client_credentials is for confidential clients"
	}
	if s, why := e.Grant(profile.GrantClientCredentials); s == Absent {
		return why
	}
	if ClientGrant(cl, profile.GrantClientCredentials) == Absent {
		return "the client is not registered for it"
	}
	if v, ok := e.absent.Load("ccwhy:" + cl.ID); ok {
		return v.(string)
	}
	return "a client_credentials request was refused and nothing promised the grant"
}
