package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/url"
	"os"
	"os/signal"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
	"unicode"

	"github.com/spf13/cobra"

	"github.com/oauthconform/oauthconform/mockserver"
	"github.com/oauthconform/oauthconform/profile"
	"github.com/oauthconform/oauthconform/suites/quirkids"
)

// shutdownTimeout bounds the wait for requests in flight after SIGINT/SIGTERM.
const shutdownTimeout = 10 * time.Second

type serveOptions struct {
	profile string
	// profileSet: --profile was given (not just its default).
	profileSet    bool
	settings      string
	addr          string
	issuer        string
	config        string
	quirks        []string
	listQuirks    bool
	listProfiles  bool
	tlsCert       string
	tlsKey        string
	tlsSelfSigned bool
	logLevel      string
	logFormat     string
	// maxRecords is --max-records; accessLifetime and refreshLifetime are
	// --access-token-lifetime and --refresh-token-lifetime.
	maxRecords      int
	accessLifetime  time.Duration
	refreshLifetime time.Duration
	// control is --control, controlPrefix --control-prefix,
	// controlSecretFile --control-secret-file.
	control           string
	controlPrefix     string
	controlSecretFile string
	// fixtureKeys is --fixture-keys, signingKey --signing-key.
	fixtureKeys bool
	signingKey  string
}

// controlSecretEnv names the control API's secret when
// --control-secret-file does not.
const controlSecretEnv = "OAUTHCONFORM_CONTROL_SECRET"

func newServeCmd() *cobra.Command {
	o := &serveOptions{}
	cmd := &cobra.Command{
		Use:   "serve",
		Short: "Run the mock OAuth 2.0 provider for a dialect",
		Long: "serve runs the reference mock provider playing one dialect (--profile: a built-in name or a\n" +
			"dialect YAML file) with the mock's settings, its choices where the dialect leaves a server free:\n" +
			"the built-in ones of a built-in dialect, or a --settings file (required for a dialect file).\n" +
			"It uses the default test fixtures, or those of --config. It prints the issuer, the endpoints,\n" +
			"the test credentials and the choices of the dialect and of the mock, and stops gracefully on\n" +
			"SIGINT or SIGTERM.\n\n" +
			"--control ADDR (a listener of its own) or --control-prefix (a path of --addr, " + mockserver.DefaultControlPrefix + " by\n" +
			"default) turns on the control API, off by default: the mock's Go test API over HTTP (register\n" +
			"clients and users, issue and revoke tokens, queue faults, move the clock, read the request log,\n" +
			"rotate the signing key, reset to the start state) for tests in any language. Every call needs\n" +
			"Authorization: Bearer <secret>, the secret printed at start (random, or --control-secret-file,\n" +
			"or $" + controlSecretEnv + "); GET /openapi.json of the control URL describes it.\n\n" +
			"JWTs are signed with keys generated at start, of the algorithm the settings name, which nobody\n" +
			"else holds and which die with the process; --fixture-keys signs with the committed test keys\n" +
			"(public: for tests and reproducible runs only), --signing-key with a key file of yours.",
		Example: "  oauthconform serve\n" +
			"  oauthconform serve --profile oob-pkce --addr 127.0.0.1:9000\n" +
			"  oauthconform serve --settings my-mock.yaml\n" +
			"  oauthconform serve --quirk reusable-codes,no-pragma --log-level debug\n" +
			"  oauthconform serve --tls-self-signed\n" +
			"  oauthconform serve --profile oob-pkce --signing-key hs256-secret.hex\n" +
			"  oauthconform serve --control 127.0.0.1:8090\n" +
			"  oauthconform serve --control-prefix " + mockserver.DefaultControlPrefix + " --control-secret-file secret.txt\n" +
			"  oauthconform serve --list-quirks",
		Args: func(cmd *cobra.Command, args []string) error {
			// --control-prefix may go without its value (the default
			// prefix), so "--control-prefix /p" leaves /p an argument:
			// take it back as the value.
			if f := cmd.Flags().Lookup("control-prefix"); f.Changed && o.controlPrefix == f.NoOptDefVal && len(args) == 1 {
				if !strings.HasPrefix(args[0], "/") {
					return flagErrorf("control-prefix", "%q is not a path (a path starts with /)", args[0])
				}
				o.controlPrefix = args[0]
				return nil
			}
			return noArgs(cmd, args)
		},
		RunE: func(cmd *cobra.Command, _ []string) error {
			o.profileSet = cmd.Flags().Changed("profile")
			if cmd.Flags().Changed("control-prefix") && o.controlPrefix == "" {
				return flagErrorf("control-prefix", "empty (given alone it is %s)", mockserver.DefaultControlPrefix)
			}
			return o.run(cmd.Context(), cmd.OutOrStdout(), cmd.ErrOrStderr())
		},
	}
	f := cmd.Flags()
	f.SortFlags = false
	f.StringVar(&o.profile, "profile", profile.DefaultName,
		"dialect to play, `NAME|FILE`: a built-in name ("+strings.Join(profile.Names(), ", ")+") or a dialect YAML file (which needs --settings)")
	f.StringVar(&o.settings, "settings", "",
		"mock settings YAML `file`: the mock's choices within the dialect it names (a built-in name, or a dialect file relative to it); default: the built-in settings of --profile")
	f.StringVar(&o.addr, "addr", "127.0.0.1:8080", "`host:port` to listen on (port 0 picks a free port)")
	f.StringVar(&o.issuer, "issuer", "", "external base `URL` of the provider (default: the listening URL)")
	f.StringVar(&o.config, "config", "", "fixtures YAML `file` that extends (mode: extend) or replaces (mode: replace) the default clients, users and API keys")
	f.StringSliceVar(&o.quirks, "quirk", nil, "turn on quirks, comma-separated or repeated (see --list-quirks)")
	f.BoolVar(&o.listQuirks, "list-quirks", false, "print the quirks and exit")
	f.BoolVar(&o.listProfiles, "list-profiles", false, "print the built-in dialects and exit")
	f.StringVar(&o.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate `file` (with --tls-key)")
	f.StringVar(&o.tlsKey, "tls-key", "", "PEM private key `file` of --tls-cert")
	f.BoolVar(&o.tlsSelfSigned, "tls-self-signed", false, "serve HTTPS with a throw-away self-signed certificate for 127.0.0.1 and localhost")
	f.StringVar(&o.control, "control", "",
		"serve the control API (off by default) on a listener of its own at `host:port`, e.g. 127.0.0.1:8090 (port 0 picks one)")
	f.StringVar(&o.controlPrefix, "control-prefix", "",
		"serve the control API under this `path` of --addr instead (given alone: "+mockserver.DefaultControlPrefix+")")
	f.Lookup("control-prefix").NoOptDefVal = mockserver.DefaultControlPrefix
	f.StringVar(&o.controlSecretFile, "control-secret-file", "",
		"read the control API's bearer secret from this `file` (default: $"+controlSecretEnv+", else a random secret, printed at start)")
	f.BoolVar(&o.fixtureKeys, "fixture-keys", false,
		"sign with the committed fixture keys (fixtures/keys: public, anyone can forge tokens) instead of keys generated at start; for tests and reproducible runs")
	f.StringVar(&o.signingKey, "signing-key", "",
		"sign access tokens with this private key `file`: PEM (PKCS #8, SEC 1 or PKCS #1), a JWK, or an HS256 secret as hex; "+
			"its algorithm must be the settings' access_token.alg")
	f.StringVar(&o.logLevel, "log-level", "info", "log level: debug, info, warn or error")
	f.StringVar(&o.logFormat, "log-format", "text", "log format: text or json")
	f.IntVar(&o.maxRecords, "max-records", 0,
		"cap the store at `N` grants, codes and tokens, evicting the oldest beyond (default "+strconv.Itoa(mockserver.DefaultMaxRecords)+"; -1: no cap)")
	f.DurationVar(&o.accessLifetime, "access-token-lifetime", 0, "access token lifetime, e.g. 5m for a load test (default: the settings')")
	f.DurationVar(&o.refreshLifetime, "refresh-token-lifetime", 0, "refresh token lifetime (default: the settings')")
	return cmd
}

func (o *serveOptions) run(ctx context.Context, stdout, stderr io.Writer) error {
	if o.listQuirks || o.listProfiles {
		if o.listProfiles {
			if err := printProfiles(stdout); err != nil {
				return err
			}
		}
		if o.listQuirks {
			if o.listProfiles {
				fmt.Fprintln(stdout)
			}
			return printQuirks(stdout)
		}
		return nil
	}

	st, err := o.setup(stderr)
	if err != nil {
		return err
	}
	// Catch signals before listening so none is lost during start-up.
	sigCtx, stop := signal.NotifyContext(ctx, os.Interrupt, syscall.SIGTERM)
	defer stop()

	srv, err := mockserver.NewServer(st.cfg, st.opts...)
	if err != nil {
		if pe, ok := errors.AsType[*mockserver.ControlPrefixError](err); ok {
			return flagErrorf("control-prefix", "%q: %s", pe.Prefix, pe.Reason)
		}
		if ke, ok := errors.AsType[*mockserver.SigningKeyError](err); ok {
			if ke.Alg == "" {
				return flagErrorf("signing-key", "%s is an %s key, but the access tokens of these settings are opaque: no key signs them", o.signingKey, ke.KeyAlg)
			}
			return flagErrorf("signing-key", "%s is an %s key, but the settings sign access tokens %s (access_token.alg)", o.signingKey, ke.KeyAlg, ke.Alg)
		}
		return err
	}
	var ctl *controlServer
	if st.control != nil {
		if ctl, err = startControl(srv, st); err != nil {
			_ = srv.Shutdown(context.Background())
			return err
		}
	}
	if err := printBanner(stdout, srv, st); err != nil {
		if ctl != nil {
			_ = ctl.shutdown(context.Background())
		}
		_ = srv.Shutdown(context.Background())
		return err
	}
	quirks := srv.Quirks()
	if quirks == nil {
		quirks = []string{}
	}
	st.log.Info("mock provider listening", "url", srv.URL, "issuer", srv.Issuer(),
		"profile", srv.Dialect().Name, "settings", st.settingsDesc, "quirks", quirks, "tls", st.tlsDesc != "",
		"keys", srv.SigningKeys().Source)

	<-sigCtx.Done()
	stop() // a second signal now kills the process at once
	st.log.Info("shutting down", "timeout", shutdownTimeout.String())
	shCtx, cancel := context.WithTimeout(context.WithoutCancel(ctx), shutdownTimeout)
	defer cancel()
	var errs []error
	if ctl != nil {
		if err := ctl.shutdown(shCtx); err != nil {
			errs = append(errs, fmt.Errorf("shutdown of the control API: %w", err))
		}
	}
	if err := srv.Shutdown(shCtx); err != nil {
		errs = append(errs, fmt.Errorf("shutdown: %w", err))
	}
	if err := errors.Join(errs...); err != nil {
		return err
	}
	st.log.Info("stopped")
	return nil
}

// serveSetup is the validated configuration of one serve run.
type serveSetup struct {
	cfg  mockserver.Config
	opts []mockserver.ServerOption
	log  *slog.Logger
	// tlsDesc describes the certificate when serving HTTPS.
	tlsDesc string
	// settingsDesc says where the mock's settings come from.
	settingsDesc string
	// defaults are the default fixtures, whose secrets may be printed.
	defaults *profile.Fixtures
	// tlsConf is the HTTPS configuration (nil for HTTP), of the control
	// listener too.
	tlsConf *tls.Config
	// control is the control API's configuration, nil when it is off.
	control *controlSetup
	// keyFile is --signing-key.
	keyFile string
}

// setup validates the flags and builds the provider configuration. Every
// error it returns is a usage error naming the flag at fault.
func (o *serveOptions) setup(stderr io.Writer) (*serveSetup, error) {
	logger, err := newLogger(stderr, o.logLevel, o.logFormat)
	if err != nil {
		return nil, err
	}
	if _, _, err := net.SplitHostPort(o.addr); err != nil {
		return nil, flagError("addr", err)
	}
	if o.issuer != "" {
		if err := checkIssuer(o.issuer); err != nil {
			return nil, flagError("issuer", err)
		}
	}
	dialect, settings, settingsDesc, err := o.dialectSettings()
	if err != nil {
		return nil, err
	}
	st := &serveSetup{log: logger, defaults: profile.DefaultFixtures(), settingsDesc: settingsDesc, keyFile: o.signingKey}
	fx := st.defaults
	if o.config != "" {
		if fx, err = profile.LoadFixturesFile(o.config); err != nil {
			return nil, flagError("config", err)
		}
	}
	var quirks []string
	for _, q := range o.quirks {
		q = strings.TrimSpace(q)
		if q == "" {
			continue
		}
		if _, ok := mockserver.LookupQuirk(q); !ok {
			return nil, flagErrorf("quirk", "unknown quirk %q (see oauthconform serve --list-quirks)", q)
		}
		if !slices.Contains(quirks, q) {
			quirks = append(quirks, q)
		}
	}
	keys, err := o.keySource()
	if err != nil {
		return nil, err
	}
	st.cfg = mockserver.Config{
		Dialect:  dialect,
		Settings: settings,
		Fixtures: fx,
		Quirks:   quirks,
		Issuer:   o.issuer,
		Logger:   logger,
		Keys:     keys,
	}
	st.opts = []mockserver.ServerOption{mockserver.WithAddr(o.addr)}
	if err := o.loadOptions(st); err != nil {
		return nil, err
	}

	tlsConf, desc, err := o.tlsConfig()
	if err != nil {
		return nil, err
	}
	if tlsConf != nil {
		st.opts = append(st.opts, mockserver.WithTLS(tlsConf))
		st.tlsDesc, st.tlsConf = desc, tlsConf
	}
	if st.control, err = o.controlSetup(); err != nil {
		return nil, err
	}
	if st.control != nil {
		// What the control API reads and moves: the request log (bounded,
		// redacted) and a clock it can advance.
		st.cfg.RecordRequests = true
		st.cfg.Clock = mockserver.NewOffsetClock()
		if st.control.prefix != "" {
			st.opts = append(st.opts, mockserver.WithControl(st.control.prefix, st.control.secret))
		}
	}
	return st, nil
}

// loadOptions applies --max-records and the lifetime flags, which bound
// what a load test leaves in memory.
func (o *serveOptions) loadOptions(st *serveSetup) error {
	if o.maxRecords < -1 {
		return flagErrorf("max-records", "%d: a number of records, or -1 for no cap", o.maxRecords)
	}
	st.cfg.MaxRecords = o.maxRecords
	if o.accessLifetime < 0 {
		return flagErrorf("access-token-lifetime", "%s: must be positive", o.accessLifetime)
	}
	if o.refreshLifetime < 0 {
		return flagErrorf("refresh-token-lifetime", "%s: must be positive", o.refreshLifetime)
	}
	access, refresh := o.accessLifetime, o.refreshLifetime
	if access == 0 && refresh == 0 {
		return nil
	}
	st.opts = append(st.opts, mockserver.WithSettings(func(s *mockserver.Settings) {
		if access > 0 {
			s.AccessToken.Lifetime = profile.Duration(access)
			s.Choices = append(s.Choices, "Access tokens valid "+access.String()+" (--access-token-lifetime).")
		}
		if refresh > 0 {
			s.RefreshToken.Lifetime = profile.Duration(refresh)
			s.Choices = append(s.Choices, "Refresh tokens valid "+refresh.String()+" (--refresh-token-lifetime).")
		}
	}))
	return nil
}

// dialectSettings loads the dialect of --profile and the mock settings
// (--settings, else the dialect's built-in ones), resolved and validated
// against each other, and says where the settings come from.
func (o *serveOptions) dialectSettings() (*profile.Dialect, *mockserver.Settings, string, error) {
	if o.settings == "" {
		if profile.LooksLikeFile(o.profile) {
			if _, err := profile.Load(o.profile); err != nil {
				return nil, nil, "", flagError("profile", err)
			}
			return nil, nil, "", flagErrorf("settings", "required with the dialect file %s: the mock has built-in settings for the built-in dialects only (%s)",
				o.profile, strings.Join(profile.Names(), ", "))
		}
		// The built-in settings load their dialect, so it is parsed once
		// (YAML decoding is most of serve's own start-up work).
		s, d, err := mockserver.LoadSettings(o.profile)
		if err != nil {
			return nil, nil, "", flagError("profile", err)
		}
		return d, s, "built-in settings of " + d.Name, nil
	}
	var d *profile.Dialect
	if o.profileSet {
		var err error
		if d, err = profile.Load(o.profile); err != nil {
			return nil, nil, "", flagError("profile", err)
		}
	}
	s, sd, err := mockserver.LoadSettings(o.settings)
	if err != nil {
		return nil, nil, "", flagError("settings", err)
	}
	if d == nil {
		return sd, s, o.settings, nil
	}
	if d.Name != sd.Name {
		return nil, nil, "", flagErrorf("settings", "%s names the dialect %q, but --profile is %q", o.settings, sd.Name, d.Name)
	}
	if err := s.Clone().Resolve(d); err != nil {
		return nil, nil, "", flagError("settings", err)
	}
	return d, s, o.settings, nil
}

// keySource is where the signing keys come from: generated at start unless
// --fixture-keys or --signing-key says otherwise. The fixture keys are
// public, so a mock that signs with them accepts anybody's forgeries.
func (o *serveOptions) keySource() (mockserver.KeySource, error) {
	switch {
	case o.fixtureKeys && o.signingKey != "":
		return mockserver.KeySource{}, flagErrorf("fixture-keys", "cannot be combined with --signing-key")
	case o.fixtureKeys:
		return mockserver.FixtureKeys(), nil
	case o.signingKey != "":
		b, err := os.ReadFile(o.signingKey)
		if err != nil {
			return mockserver.KeySource{}, flagError("signing-key", err)
		}
		src, err := mockserver.ParseSigningKey(b)
		if err != nil {
			return mockserver.KeySource{}, flagError("signing-key", fmt.Errorf("%s: %w", o.signingKey, err))
		}
		return src, nil
	default:
		return mockserver.GeneratedKeys(), nil
	}
}

func (o *serveOptions) tlsConfig() (*tls.Config, string, error) {
	switch {
	case o.tlsSelfSigned && (o.tlsCert != "" || o.tlsKey != ""):
		return nil, "", flagErrorf("tls-self-signed", "cannot be combined with --tls-cert/--tls-key")
	case o.tlsCert != "" && o.tlsKey == "":
		return nil, "", flagErrorf("tls-key", "required with --tls-cert")
	case o.tlsKey != "" && o.tlsCert == "":
		return nil, "", flagErrorf("tls-cert", "required with --tls-key")
	}
	var (
		cert tls.Certificate
		desc string
		err  error
	)
	switch {
	case o.tlsSelfSigned:
		if cert, err = selfSignedCert(time.Now()); err != nil {
			return nil, "", fmt.Errorf("generate self-signed certificate: %w", err)
		}
		desc = "self-signed for " + strings.Join(selfSignedNames, ", ") + ", SHA-256 " + certFingerprint(cert) +
			" (not trusted: curl needs -k)"
	case o.tlsCert != "":
		if cert, err = tls.LoadX509KeyPair(o.tlsCert, o.tlsKey); err != nil {
			return nil, "", flagError("tls-cert/--tls-key", err)
		}
		desc = o.tlsCert + ", SHA-256 " + certFingerprint(cert)
	default:
		return nil, "", nil
	}
	return &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}, desc, nil
}

func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var lv slog.Level
	switch strings.ToLower(level) {
	case "debug":
		lv = slog.LevelDebug
	case "info":
		lv = slog.LevelInfo
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	default:
		return nil, flagErrorf("log-level", "%q is not one of debug, info, warn, error", level)
	}
	opts := &slog.HandlerOptions{Level: lv}
	switch strings.ToLower(format) {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, flagErrorf("log-format", "%q is not one of text, json", format)
	}
}

// checkIssuer accepts an absolute http(s) URL without query or fragment
// (RFC 8414 §2).
func checkIssuer(s string) error {
	u, err := url.Parse(s)
	if err != nil {
		return err
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return fmt.Errorf("%q: must be an http or https URL", s)
	}
	if u.Host == "" {
		return fmt.Errorf("%q: has no host", s)
	}
	if u.RawQuery != "" || u.Fragment != "" || strings.ContainsAny(s, "?#") {
		return fmt.Errorf("%q: must not have a query or fragment", s)
	}
	return nil
}

// printBanner writes what a user of the running mock needs: where it is,
// what it plays, and the credentials to call it with.
func printBanner(w io.Writer, srv *mockserver.Server, st *serveSetup) error {
	d, set := srv.Dialect(), srv.Settings()
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 0, 2, ' ', 0)

	fmt.Fprintf(tw, "oauthconform mock provider\n")
	fmt.Fprintf(tw, "  issuer\t%s\n", srv.Issuer())
	if srv.URL != srv.Issuer() {
		fmt.Fprintf(tw, "  listening\t%s\n", srv.URL)
	}
	fmt.Fprintf(tw, "  profile\t%s: %s\n", d.Name, d.Description)
	if st.tlsDesc != "" {
		fmt.Fprintf(tw, "  tls\t%s\n", st.tlsDesc)
	}
	if q := srv.Quirks(); len(q) == 0 {
		fmt.Fprintf(tw, "  quirks\tnone\n")
	} else {
		fmt.Fprintf(tw, "  quirks\t%s\n", strings.Join(q, ", "))
	}
	fmt.Fprintf(tw, "  keys\t%s\n", st.keysLine(srv.SigningKeys()))
	tw.Flush()

	fmt.Fprintf(tw, "\nEndpoints\n")
	e := set.Endpoints
	for _, ep := range []struct{ name, path string }{
		{"token", e.Token}, {"authorize", e.Authorize}, {"revocation", e.Revocation},
		{"introspection", e.Introspection}, {"jwks", e.JWKS}, {"resource", e.Resource}, {"oob", e.OOB},
	} {
		if ep.path != "" {
			fmt.Fprintf(tw, "  %s\t%s\n", ep.name, srv.Provider.URL(ep.path))
		}
	}
	if set.OpenID() && e.UserInfo != "" {
		fmt.Fprintf(tw, "  userinfo\t%s\n", srv.Provider.URL(e.UserInfo))
	}
	if u := srv.Provider.MetadataURL(); u != "" {
		fmt.Fprintf(tw, "  metadata\t%s\n", u)
		if set.OpenID() {
			fmt.Fprintf(tw, "  discovery\t%s\n", strings.TrimSuffix(srv.Issuer(), "/")+mockserver.WellKnownOIDC)
		}
	}
	tw.Flush()

	if c := st.control; c != nil {
		fmt.Fprintf(&b, "\nControl API (GET %s/openapi.json describes it)\n", c.url)
		fmt.Fprintf(tw, "  url\t%s\n", c.url)
		if c.source == "" {
			fmt.Fprintf(tw, "  header\tAuthorization: Bearer %s\n", c.secret)
		} else {
			fmt.Fprintf(tw, "  header\tAuthorization: Bearer <the secret of %s>\n", c.source)
		}
		tw.Flush()
	}

	fx := srv.Fixtures()
	fromFile := st.cfg.Fixtures != st.defaults
	if fromFile {
		fmt.Fprintf(&b, "\nCredentials (default fixtures with --config; secrets that differ from the defaults are as configured, not shown)\n")
	} else {
		fmt.Fprintf(&b, "\nCredentials (the default test fixtures: public, never use them for anything real)\n")
	}
	fmt.Fprintf(tw, "  CLIENT ID\tSECRET\tROLE\tREDIRECT URIS\n")
	for _, c := range fx.Clients {
		secret := "(public)"
		if !c.Public() {
			def, ok := st.defaultClientSecret(c.ID)
			secret = showSecret(c.Secret, def, ok)
		}
		role := c.Role
		if role == "" {
			role = "-"
		}
		fmt.Fprintf(tw, "  %s\t%s\t%s\t%s\n", show(c.ID), secret, role, strings.Join(c.RedirectURIs, " "))
	}
	tw.Flush()
	if len(fx.Users) > 0 {
		fmt.Fprintf(tw, "\n  USERNAME\tPASSWORD\tSUBJECT\n")
		for _, u := range fx.Users {
			sub := u.Subject
			if sub == "" {
				sub = u.Username
			}
			def, ok := st.defaultPassword(u.Username)
			fmt.Fprintf(tw, "  %s\t%s\t%s\n", show(u.Username), showSecret(u.Password, def, ok), show(sub))
		}
		tw.Flush()
	}
	if len(fx.APIKeys) > 0 {
		where := "not used by this dialect"
		if h := set.ClientAuth.APIKeyHeader; h != "" {
			where = "send in the " + h + " header"
		}
		fmt.Fprintf(&b, "\n  API KEYS (%s)\n", where)
		for _, k := range fx.APIKeys {
			v := "(as configured)"
			if slices.Contains(st.defaults.APIKeys, k) {
				v = show(string(k))
			}
			fmt.Fprintf(&b, "  %s\n", v)
		}
	}

	if len(d.Choices) > 0 {
		fmt.Fprintf(&b, "\nChoices of the %s dialect (how it reads its source)\n", d.Name)
		for _, c := range d.Choices {
			fmt.Fprintf(&b, "  - %s\n", c)
		}
	}
	if len(set.Choices) > 0 {
		fmt.Fprintf(&b, "\nChoices of the mock (%s), where the dialect leaves a server free\n", st.settingsDesc)
		for _, c := range set.Choices {
			fmt.Fprintf(&b, "  - %s\n", c)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// keysLine says which keys sign, by algorithm and kid: never a secret.
func (st *serveSetup) keysLine(k mockserver.SigningKeyInfo) string {
	var from string
	switch k.Source {
	case "generated":
		from = "generated at start (kept in memory only)"
	case "given":
		from = st.keyFile
	default:
		from = "the committed fixture keys (--fixture-keys: public, anyone can sign tokens this mock accepts)"
	}
	var keys []string
	if k.Alg != "" {
		keys = append(keys, k.Alg+" kid "+show(k.KeyID))
	}
	if k.IDTokenAlg != "" {
		keys = append(keys, "ID tokens "+k.IDTokenAlg+" kid "+show(k.IDTokenKeyID))
	}
	if len(keys) == 0 {
		return "none (the access tokens are opaque)"
	}
	return from + ": " + strings.Join(keys, "; ")
}

// defaultClientSecret returns the default fixtures' secret of that client.
func (st *serveSetup) defaultClientSecret(id string) (profile.Secret, bool) {
	c, ok := st.defaults.Client(id)
	if !ok {
		return "", false
	}
	return c.Secret, true
}

// defaultPassword returns the default fixtures' password of that user.
func (st *serveSetup) defaultPassword(username string) (profile.Secret, bool) {
	for _, u := range st.defaults.Users {
		if u.Username == username {
			return u.Password, true
		}
	}
	return "", false
}

// showSecret prints a secret only when it is the public default fixture
// value; anything else came from a --config file and stays hidden.
func showSecret(s profile.Secret, def profile.Secret, isDefault bool) string {
	if isDefault && s == def {
		return show(string(s))
	}
	return "(as configured)"
}

// show quotes a value that would be ambiguous in a table (spaces, quotes,
// control characters, empty).
func show(s string) string {
	if s == "" || strings.ContainsFunc(s, func(r rune) bool {
		return unicode.IsSpace(r) || !unicode.IsPrint(r) || r == '"' || r == '\\'
	}) {
		return strconv.Quote(s)
	}
	return s
}

func printProfiles(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "NAME\tTOKEN ENDPOINT\tDESCRIPTION\n")
	for _, n := range profile.Names() {
		p, err := profile.Load(n)
		if err != nil {
			return err
		}
		def := ""
		if n == profile.DefaultName {
			def = " (default)"
		}
		fmt.Fprintf(tw, "%s%s\t%s\t%s\n", n, def, p.Endpoints.Token, p.Description)
	}
	return tw.Flush()
}

func printQuirks(w io.Writer) error {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "QUIRK\tASSERTIONS\tBREAKS\n")
	for _, q := range mockserver.Quirks() {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", q.Name, strings.Join(quirkids.IDs(q.Name), ","), q.Breaks)
	}
	return tw.Flush()
}
