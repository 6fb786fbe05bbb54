package engine

import (
	"context"
	"sync/atomic"

	. "github.com/onsi/ginkgo/v2"

	"github.com/oauthconform/oauthconform/suites/drivers"
	"github.com/oauthconform/oauthconform/suites/harness"
)

// DryRunPrefix starts the skip message of a spec that would run.
const DryRunPrefix = "DRY RUN: "

// dryState records whether a spec tried to reach the target.
type dryState struct{ attempted atomic.Bool }

// dryRun points c at a dry copy of its Env.
func (c *C) dryRun() {
	ds := &dryState{}
	c.dry = ds
	e := *c.Env
	e.HTTP = c.Env.HTTP.Dry(func() { ds.attempted.Store(true) })
	if e.Driver != nil {
		e.Driver = dryDriver{ds}
	}
	if e.Browser != nil {
		e.Browser = dryDriver{ds}
	}
	c.Env = &e
}

// dryEnd ends a dry spec as one that would run; a no-op outside a dry run.
// Called at the end of the spec and before each verdict: a verdict judges
// nothing in a dry run, and a skip after a dry request has no real reason.
func (c *C) dryEnd(skipping bool) {
	if c.dry != nil && (!skipping || c.dry.attempted.Load()) {
		Skip(DryRunPrefix + c.A.ID + ": would run")
	}
}

// dryAttempt marks the spec as one that would reach the target.
func (c *C) dryAttempt() {
	if c.dry != nil {
		c.dry.attempted.Store(true)
	}
}

// dryDriver is a driver of a dry run: it would reach the target.
type dryDriver struct{ ds *dryState }

func (d dryDriver) Authorize(context.Context, drivers.AuthzRequest) (*drivers.AuthzResult, error) {
	d.ds.attempted.Store(true)
	return nil, harness.ErrDryRun
}
