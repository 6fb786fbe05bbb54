package steps

import (
	"errors"
	"net/url"

	"github.com/oauthconform/oauthconform/suites/drivers"
	"github.com/oauthconform/oauthconform/suites/engine"
)

// TryCode is C.Code for requests the authorization server may lawfully
// refuse: a flow that ends without a code returns "" and its result (the
// refusal) instead of failing. It skips when the driver cannot perform the
// request, and fails when the flow could not be run at all.
func TryCode(c *engine.C, cl *engine.Client, o CodeOpts) (string, *drivers.AuthzResult) {
	d := c.RequireDriver()
	res, err := d.Authorize(c, drivers.AuthzRequest{Client: cl, Query: AuthzQuery(c.Env, cl, "code", o)})
	if errors.Is(err, drivers.ErrNotSupported) {
		c.Skipf("the authorization driver cannot perform this request")
	}
	if res == nil {
		res = &drivers.AuthzResult{Query: url.Values{}, Fragment: url.Values{}}
	}
	if last, broke := res.BrokeAtServer(); broke {
		c.Failf(res.Exchanges, "the authorization flow broke at the server (status %d, %v)", last.Status, err)
	}
	if err != nil {
		c.Skipf("precondition not met: the authorization request could not be run: %v", err)
	}
	return res.Code(), res
}
