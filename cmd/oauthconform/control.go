package main

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/oauthconform/oauthconform/mockserver"
)

// Bounds of a control secret given by file or environment.
const (
	minControlSecret = 16
	maxControlSecret = 1024
)

// controlSetup is the control API of a serve run (--control,
// --control-prefix).
type controlSetup struct {
	// addr is --control: a listener of its own ("" under --control-prefix).
	addr string
	// prefix is --control-prefix: a path of the provider's listener.
	prefix string
	secret string
	// source names where a secret given to serve comes from; "" for a
	// generated one, which the banner prints.
	source string
	// url is where the API answers, once the server listens.
	url string
}

// controlSetup validates the control flags; nil when the API is off.
func (o *serveOptions) controlSetup() (*controlSetup, error) {
	switch {
	case o.control != "" && o.controlPrefix != "":
		return nil, flagErrorf("control-prefix", "cannot be combined with --control: the control API has a listener of its own, or a path of --addr")
	case o.control == "" && o.controlPrefix == "":
		if o.controlSecretFile != "" {
			return nil, flagErrorf("control-secret-file", "needs --control or --control-prefix")
		}
		return nil, nil
	}
	c := &controlSetup{addr: o.control, prefix: o.controlPrefix}
	if c.addr != "" {
		if _, _, err := net.SplitHostPort(c.addr); err != nil {
			return nil, flagError("control", err)
		}
	}
	switch env := os.Getenv(controlSecretEnv); {
	case o.controlSecretFile != "":
		b, err := os.ReadFile(o.controlSecretFile)
		if err != nil {
			return nil, flagError("control-secret-file", err)
		}
		c.secret, c.source = strings.TrimSpace(string(b)), "--control-secret-file"
		if err := checkControlSecret(c.secret); err != nil {
			return nil, flagErrorf("control-secret-file", "%s: %v", o.controlSecretFile, err)
		}
	case env != "":
		c.secret, c.source = strings.TrimSpace(env), "$"+controlSecretEnv
		if err := checkControlSecret(c.secret); err != nil {
			return nil, &usageError{msg: "$" + controlSecretEnv, err: err}
		}
	default:
		var b [32]byte
		_, _ = rand.Read(b[:]) // never fails (Go 1.24+)
		c.secret = base64.RawURLEncoding.EncodeToString(b[:])
	}
	return c, nil
}

// checkControlSecret accepts 16 to 1024 visible ASCII characters, which an
// Authorization header carries as they are. It never quotes the secret.
func checkControlSecret(s string) error {
	if len(s) < minControlSecret || len(s) > maxControlSecret {
		return fmt.Errorf("the secret must be %d to %d characters long, not %d", minControlSecret, maxControlSecret, len(s))
	}
	for _, r := range s {
		if r < 0x21 || r > 0x7e {
			return errors.New("the secret must be visible ASCII characters only (no spaces)")
		}
	}
	return nil
}

// controlServer is the control API on a listener of its own (--control).
type controlServer struct {
	srv  *http.Server
	done chan struct{}
}

// startControl starts the control API of the run: on its own listener
// (with the provider's TLS configuration, if any) for --control; for
// --control-prefix the provider's server already serves it. It sets
// st.control.url.
func startControl(srv *mockserver.Server, st *serveSetup) (*controlServer, error) {
	c := st.control
	if c.addr == "" {
		c.url = srv.ControlURL()
		warnBeyondLoopback(st.log, srv.URL, c.url)
		return nil, nil
	}
	ln, err := net.Listen("tcp", c.addr)
	if err != nil {
		return nil, fmt.Errorf("control API: listen: %w", err)
	}
	scheme := "http"
	if st.tlsConf != nil {
		ln = tls.NewListener(ln, st.tlsConf.Clone())
		scheme = "https"
	}
	c.url = scheme + "://" + ln.Addr().String()
	cs := &controlServer{
		srv: &http.Server{
			Handler:           srv.ControlHandler(c.secret),
			ReadHeaderTimeout: 10 * time.Second,
			ReadTimeout:       30 * time.Second,
			WriteTimeout:      30 * time.Second,
			IdleTimeout:       2 * time.Minute,
			MaxHeaderBytes:    64 << 10,
			ErrorLog:          slog.NewLogLogger(st.log.Handler(), slog.LevelDebug),
		},
		done: make(chan struct{}),
	}
	go func() {
		defer close(cs.done)
		if err := cs.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			st.log.Error("control API stopped", "err", err)
		}
	}()
	warnBeyondLoopback(st.log, c.url, c.url)
	st.log.Info("control API listening", "url", c.url)
	return cs, nil
}

// shutdown stops the control listener gracefully, waiting for calls in
// flight until ctx ends.
func (cs *controlServer) shutdown(ctx context.Context) error {
	err := cs.srv.Shutdown(ctx)
	<-cs.done
	return err
}

// warnBeyondLoopback warns when the listener at listenURL, which serves
// the control API at controlURL, is reachable from other hosts.
func warnBeyondLoopback(log *slog.Logger, listenURL, controlURL string) {
	host := listenURL[strings.Index(listenURL, "://")+3:]
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsLoopback() || host == "localhost" {
		return
	}
	log.Warn("the control API is reachable beyond this host: whoever has its secret controls the mock", "url", controlURL)
}
