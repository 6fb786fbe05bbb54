package mockserver

import (
	"encoding/json"
	"io"
	"strings"
	"testing"
)

// metadataEndpointsHTTPS reports whether every endpoint URL of the served
// metadata uses https, and how many there are.
func metadataEndpointsHTTPS(t *testing.T, s *Server) (bool, int) {
	t.Helper()
	resp, err := s.Client().Get(s.URL + WellKnownOAuth)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatalf("metadata: %v: %s", err, b)
	}
	n := 0
	for k, v := range doc {
		if strings.HasSuffix(k, "_endpoint") || k == "jwks_uri" {
			n++
			if u, _ := v.(string); !strings.HasPrefix(u, "https://") {
				return false, n
			}
		}
	}
	return true, n
}

// metadata-http-endpoints advertises http:// endpoint URLs from an https
// issuer (META-005); the correct mock advertises https ones, and without
// TLS the quirk changes nothing.
func TestMetadataQuirkHTTPEndpoints(t *testing.T) {
	s, _ := newTLSServer(t)
	if ok, n := metadataEndpointsHTTPS(t, s); !ok || n == 0 {
		t.Fatalf("correct mock: https endpoints %v (%d)", ok, n)
	}
	q, _ := newTLSServer(t, QuirkMetadataHTTPEndpoints.String())
	if ok, _ := metadataEndpointsHTTPS(t, q); ok {
		t.Fatal("the quirk left every endpoint https")
	}
	if doc := metadataDoc(t, newEP(t, "rfc6749", WithQuirks(QuirkMetadataHTTPEndpoints.String()))); doc["token_endpoint"] == nil ||
		!strings.HasPrefix(doc["token_endpoint"].(string), "http://127.0.0.1:") {
		t.Fatalf("without TLS: token_endpoint %v", doc["token_endpoint"])
	}
}
