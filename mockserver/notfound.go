package mockserver

import (
	"net/http"
	"strconv"
)

// Paths the provider does not serve (Settings.NotFound). A real
// authorization server often shares its host with other things: a
// single-page application whose front end answers every other path with
// its index page, or a gateway that asks for credentials before anything
// else. No RFC says what a server answers outside its endpoints.

var (
	spaBody     = []byte("<html>app</html>")
	gatewayBody = []byte("<html><head><title>401 Authorization Required</title></head><body><h1>401 Authorization Required</h1><p>gateway</p></body></html>\n")
	htmlCT      = []string{"text/html; charset=utf-8"}
)

// gatewayChallenge is the WWW-Authenticate value of not_found: gateway-401.
const gatewayChallenge = `Basic realm="gateway"`

// withNotFound answers the requests mux has no route for as the settings'
// not_found says (the mux's own 404 for "404").
func (p *Provider) withNotFound(mux *http.ServeMux) http.Handler {
	if p.settings.NotFound == NotFound404 || p.settings.NotFound == "" {
		return mux
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "" {
			p.handleUnknownPath(w, r)
			return
		}
		mux.ServeHTTP(w, r)
	})
}

// handleUnknownPath answers a path the provider does not serve, whatever
// the method: 200 with the application's page (html), or the gateway's 401
// (gateway-401).
func (p *Provider) handleUnknownPath(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	status, body := http.StatusOK, spaBody
	if p.settings.NotFound == NotFoundGateway401 {
		status, body = http.StatusUnauthorized, gatewayBody
		h.Set("WWW-Authenticate", gatewayChallenge)
	} else {
		h.Set("Cache-Control", "no-cache")
	}
	h["Content-Type"] = htmlCT
	h.Set("Content-Length", strconv.Itoa(len(body)))
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		_, _ = w.Write(body)
	}
}
