package rawhttp

import (
	"encoding/base64"
	"net/url"
	"strconv"
)

// ClientCredentials is the bytes of a client_credentials token request for
// scope to requestURI at host, the client authenticated with HTTP Basic
// (RFC 6749 §2.3.1: id and secret form-encoded first).
func ClientCredentials(requestURI, host, id, secret, scope string) []byte {
	body := "grant_type=client_credentials&scope=" + url.QueryEscape(scope)
	auth := base64.StdEncoding.EncodeToString([]byte(url.QueryEscape(id) + ":" + url.QueryEscape(secret)))
	return []byte("POST " + requestURI + " HTTP/1.1\r\nHost: " + host +
		"\r\nAuthorization: Basic " + auth +
		"\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: " + strconv.Itoa(len(body)) +
		"\r\n\r\n" + body)
}
