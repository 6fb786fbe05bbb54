package mockserver

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"time"

	"github.com/oauthconform/oauthconform/fixtures"
)

// FixtureWrongHostName is the only name in the certificate the
// tls-wrong-host-cert quirk serves. A client that must reach such a server
// anyway verifies the certificate for this name (tls.Config.ServerName).
const FixtureWrongHostName = "wrong-host.invalid"

// The fixture TLS material (fixtures/keys/tls-*.pem): public test files,
// parsed once and never generated at run time.
type fixtureTLSMaterial struct {
	server, wrongHost tls.Certificate
	ca                *x509.Certificate
}

var loadFixtureTLS = sync.OnceValues(func() (*fixtureTLSMaterial, error) {
	read := func(name string) ([]byte, error) {
		b, err := fixtures.FS.ReadFile("keys/" + name)
		if err != nil {
			return nil, fmt.Errorf("mockserver: fixture TLS: %w", err)
		}
		return b, nil
	}
	pair := func(cert, key string) (tls.Certificate, error) {
		c, err := read(cert)
		if err != nil {
			return tls.Certificate{}, err
		}
		k, err := read(key)
		if err != nil {
			return tls.Certificate{}, err
		}
		kp, err := tls.X509KeyPair(c, k)
		if err != nil {
			return tls.Certificate{}, fmt.Errorf("mockserver: fixture TLS %s: %w", cert, err)
		}
		return kp, nil
	}
	var m fixtureTLSMaterial
	var err error
	if m.server, err = pair("tls-server.pem", "tls-server-key.pem"); err != nil {
		return nil, err
	}
	if m.wrongHost, err = pair("tls-wronghost.pem", "tls-wronghost-key.pem"); err != nil {
		return nil, err
	}
	caPEM, err := read("tls-ca.pem")
	if err != nil {
		return nil, err
	}
	ca, err := parseFirstCert(caPEM)
	if err != nil {
		return nil, fmt.Errorf("mockserver: fixture TLS tls-ca.pem: %w", err)
	}
	m.ca = ca
	return &m, nil
})

// FixtureTLS returns a server configuration holding the fixture certificate
// (valid for 127.0.0.1, ::1 and localhost; TLS 1.2 or later), for
// WithTLS, and a pool holding only the fixture test CA that issued it, for
// the clients of such a server. Each call returns new values.
func FixtureTLS() (*tls.Config, *x509.CertPool, error) {
	m, err := loadFixtureTLS()
	if err != nil {
		return nil, nil, err
	}
	pool := x509.NewCertPool()
	pool.AddCert(m.ca)
	conf := &tls.Config{
		Certificates: []tls.Certificate{m.server},
		MinVersion:   tls.VersionTLS12,
	}
	return conf, pool, nil
}

func parseFirstCert(pemBytes []byte) (*x509.Certificate, error) {
	for rest := pemBytes; ; {
		var blk *pem.Block
		if blk, rest = pem.Decode(rest); blk == nil {
			return nil, errors.New("no certificate")
		}
		if blk.Type == "CERTIFICATE" {
			return x509.ParseCertificate(blk.Bytes)
		}
	}
}

// tlsListener serves TLS with conf on ln, as the listener-level quirks say:
// tls-legacy-versions lowers the floor to TLS 1.0, tls-wrong-host-cert
// serves the wrong-host fixture certificate, plain-http-too also answers
// plain HTTP on the same port.
func (p *Provider) tlsListener(ln net.Listener, conf *tls.Config) (net.Listener, error) {
	conf = conf.Clone()
	if p.rules.tls.legacyVersions {
		// Go servers refuse TLS 1.0/1.1 unless MinVersion asks for them.
		conf.MinVersion = tls.VersionTLS10
	}
	if p.rules.tls.wrongHostCert {
		m, err := loadFixtureTLS()
		if err != nil {
			return nil, err
		}
		conf.Certificates = []tls.Certificate{m.wrongHost}
		conf.GetCertificate = nil
	}
	if p.rules.tls.plainHTTPToo {
		return newSniffListener(ln, conf), nil
	}
	return tls.NewListener(ln, conf), nil
}

// sniffTimeout bounds the wait for a connection's first byte.
const sniffTimeout = 10 * time.Second

// sniffListener serves TLS and plain HTTP on one port (plain-http-too): a
// connection whose first byte opens a TLS handshake record (0x16) gets TLS,
// any other is served as it is. Each connection is sniffed in its own
// goroutine, so a silent client never blocks Accept.
type sniffListener struct {
	net.Listener
	conf  *tls.Config
	conns chan net.Conn
	errs  chan error
	done  chan struct{}
	once  sync.Once
}

func newSniffListener(ln net.Listener, conf *tls.Config) *sniffListener {
	l := &sniffListener{Listener: ln, conf: conf, conns: make(chan net.Conn), errs: make(chan error), done: make(chan struct{})}
	go l.acceptLoop()
	return l
}

func (l *sniffListener) acceptLoop() {
	for {
		c, err := l.Listener.Accept()
		if err != nil {
			select {
			case l.errs <- err:
			case <-l.done:
				return
			}
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue
		}
		go l.sniff(c)
	}
}

func (l *sniffListener) sniff(c net.Conn) {
	var first [1]byte
	_ = c.SetReadDeadline(time.Now().Add(sniffTimeout))
	if _, err := io.ReadFull(c, first[:]); err != nil {
		c.Close()
		return
	}
	_ = c.SetReadDeadline(time.Time{})
	var out net.Conn = &prefixConn{Conn: c, r: io.MultiReader(bytes.NewReader(first[:]), c)}
	if first[0] == 0x16 { // TLS record type handshake
		out = tls.Server(out, l.conf)
	}
	select {
	case l.conns <- out:
	case <-l.done:
		c.Close()
	}
}

func (l *sniffListener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case err := <-l.errs:
		return nil, err
	case <-l.done:
		return nil, net.ErrClosed
	}
}

func (l *sniffListener) Close() error {
	l.once.Do(func() { close(l.done) })
	return l.Listener.Close()
}

// prefixConn is a connection whose first bytes were already read.
type prefixConn struct {
	net.Conn
	r io.Reader
}

func (c *prefixConn) Read(b []byte) (int, error) { return c.r.Read(b) }
