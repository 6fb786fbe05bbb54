package mockserver

import (
	"net/http"

	"github.com/oauthconform/oauthconform/profile"
)

// Placeholder until the authorize endpoint lands.
func (p *Provider) handleAuthorize(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not implemented", http.StatusNotImplemented)
}

func (p *Provider) handleOOB(w http.ResponseWriter, r *http.Request) {
	http.Error(w, "not implemented", http.StatusNotImplemented)
}

func (p *Provider) redirectAllowed(c *profile.Client, uri string) bool {
	for _, u := range c.RedirectURIs {
		if u == uri {
			return true
		}
	}
	return false
}
