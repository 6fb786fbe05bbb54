package mockserver

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"net"
	"net/url"
	"slices"
	"time"
)

// memoryCA is the certificate authority of WithTLS(): generated in memory
// for one server, never written anywhere, so a client that trusts it trusts
// that server alone.
type memoryCA struct {
	cert *x509.Certificate
	key  *ecdsa.PrivateKey
}

// memoryCALifetime is how long the CA and its certificate are valid.
const memoryCALifetime = 365 * 24 * time.Hour

func serialNumber() (*big.Int, error) {
	return rand.Int(rand.Reader, new(big.Int).Lsh(big.NewInt(1), 127))
}

// newCert makes a P-256 key and a certificate of it from tmpl, with a
// random serial, valid from an hour ago for memoryCALifetime, signed by
// ca (self-signed when ca is nil).
func newCert(tmpl *x509.Certificate, ca *memoryCA) (*ecdsa.PrivateKey, []byte, *x509.Certificate, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, nil, err
	}
	if tmpl.SerialNumber, err = serialNumber(); err != nil {
		return nil, nil, nil, err
	}
	now := time.Now()
	tmpl.NotBefore, tmpl.NotAfter = now.Add(-time.Hour), now.Add(memoryCALifetime)
	parent, signer := tmpl, any(key)
	if ca != nil {
		parent, signer = ca.cert, ca.key
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, parent, &key.PublicKey, signer)
	if err != nil {
		return nil, nil, nil, err
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		return nil, nil, nil, err
	}
	return key, der, cert, nil
}

func newMemoryCA() (*memoryCA, error) {
	key, _, cert, err := newCert(&x509.Certificate{
		Subject:               pkix.Name{CommonName: "oauthconform mock test CA", Organization: []string{"oauthconform"}},
		KeyUsage:              x509.KeyUsageCertSign | x509.KeyUsageCRLSign | x509.KeyUsageDigitalSignature,
		BasicConstraintsValid: true,
		IsCA:                  true,
		MaxPathLenZero:        true,
	}, nil)
	if err != nil {
		return nil, err
	}
	return &memoryCA{cert: cert, key: key}, nil
}

func (ca *memoryCA) pool() *x509.CertPool {
	pool := x509.NewCertPool()
	pool.AddCert(ca.cert)
	return pool
}

// serverConfig issues a server certificate for the loopback names, the
// listening address and the issuer's host, and returns a server
// configuration (TLS 1.2 or later) holding it.
func (ca *memoryCA) serverConfig(listen net.Addr, issuer string) (*tls.Config, error) {
	names := []string{"localhost"}
	ips := []net.IP{net.IPv4(127, 0, 0, 1), net.IPv6loopback}
	add := func(host string) {
		if host == "" {
			return
		}
		if ip := net.ParseIP(host); ip != nil {
			if !ip.IsUnspecified() && !slices.ContainsFunc(ips, ip.Equal) {
				ips = append(ips, ip)
			}
		} else if !slices.Contains(names, host) {
			names = append(names, host)
		}
	}
	if ta, ok := listen.(*net.TCPAddr); ok {
		add(ta.IP.String())
	}
	if u, err := url.Parse(issuer); err == nil {
		add(u.Hostname())
	}
	key, der, leaf, err := newCert(&x509.Certificate{
		Subject:     pkix.Name{CommonName: names[len(names)-1], Organization: []string{"oauthconform"}},
		KeyUsage:    x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    names,
		IPAddresses: ips,
	}, ca)
	if err != nil {
		return nil, err
	}
	return &tls.Config{
		Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}},
		MinVersion:   tls.VersionTLS12,
	}, nil
}
