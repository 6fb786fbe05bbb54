package engine_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/oauthconform/oauthconform/mockserver"
	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/drivers"
	"github.com/oauthconform/oauthconform/suites/engine"
	"github.com/oauthconform/oauthconform/suites/steps"
	"github.com/oauthconform/oauthconform/suites/target"
)

const (
	drvR1  = "http://127.0.0.1:8765/callback"
	drvOOB = "urn:ietf:wg:oauth:2.0:oob:auto"
)

// TestNewEnv: a target file becomes an Env with the driver its kind names,
// its endpoints, clients and user resolved, and a driver that yields codes
// the Env redeems.
func TestNewEnv(t *testing.T) {
	for _, tt := range []struct {
		prof, kind string
		want       string // driver type
		wantErr    bool
	}{
		{"rfc6749", "form", "*drivers.FormDriver", false},
		{"rfc6749", "mock", "*drivers.FormDriver", false},
		{"oob-pkce", "form", "*drivers.OOBDriver", false},
		{"oob-pkce", "oob", "*drivers.OOBDriver", false},
		{"oauth20-intents", "command", "*drivers.CommandDriver", false},
		{"rfc6749", "", "<nil>", false},
		{"merchant-customer", "form", "", true},
	} {
		t.Run(tt.prof+"/"+tt.kind, func(t *testing.T) {
			ts := mockserver.NewTestServer(t, tt.prof)
			doc := "profile: " + tt.prof + "\nissuer: " + ts.URL + "\napi_key: demo-api-key\n" +
				"clients:\n  primary: {id: conf-client, secret: conf-secret, redirect_uri: " + drvR1 + "}\n" +
				"  public: {id: public-client}\n" +
				"user: {username: alice, password: alice-password}\nscopes: {s1: read}\nrefresh_grace: 5s\n"
			if tt.prof == "oob-pkce" {
				doc = strings.Replace(doc, "secret: conf-secret, redirect_uri: "+drvR1, "auth_method: none", 1)
			}
			if tt.prof == "merchant-customer" {
				doc = strings.Replace(doc, "  public: {id: public-client}\n", "", 1)
			}
			if tt.kind != "" {
				doc += "driver: {kind: " + tt.kind + "}\n"
				if tt.kind == "command" {
					doc += "driver: {kind: command, command: [/bin/true]}\n"
					doc = strings.Replace(doc, "driver: {kind: command}\n", "", 1)
				}
			}
			tgt, err := target.Parse([]byte(doc), t.TempDir())
			if err != nil {
				t.Fatal(err)
			}
			e, err := engine.NewEnv(context.Background(), tgt, engine.EnvOptions{})
			if tt.wantErr {
				if err == nil {
					t.Fatal("no error")
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := fmt.Sprintf("%T", e.Driver); got != tt.want || fmt.Sprintf("%T", e.Browser) != tt.want {
				t.Fatalf("driver %s, browser %T, want %s", got, e.Browser, tt.want)
			}
			if e.Name != tt.prof || e.Endpoints.Token != ts.TokenURL() || e.RefreshGrace != 5*time.Second || e.User.Username != "alice" {
				t.Fatalf("%+v", e)
			}
			if pc := e.Client(profile.RolePublic); tt.prof != "merchant-customer" && (pc == nil || pc.Method != profile.AuthNone) {
				t.Fatalf("public client %+v", pc)
			}
			if tt.prof == "oob-pkce" && e.Client(profile.RolePrimary).RedirectURI() != drvOOB {
				t.Fatalf("oob redirect %v", e.Client(profile.RolePrimary).RedirectURIs)
			}
			if tt.kind == "form" || tt.kind == "mock" || tt.kind == "oob" {
				cl := e.Client(profile.RolePrimary)
				q := steps.AuthzQuery(e, cl, "code", steps.CodeOpts{State: "s"})
				res, err := e.Driver.Authorize(context.Background(), drivers.AuthzRequest{Client: cl, Query: q})
				if err != nil || res.Code() == "" {
					t.Fatalf("%v %v", err, res.Query)
				}
				ex := e.ExchangeCode(context.Background(), cl, res.Code(), cl.RedirectURI(), "")
				if !engine.Issued(ex) {
					t.Fatalf("%s", ex)
				}
			}
		})
	}
}
