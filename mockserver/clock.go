package mockserver

import (
	"sync/atomic"
	"time"
)

// Clock tells the provider the time. Tests control expiry through it.
type Clock interface {
	Now() time.Time
}

// SystemClock is the real time.
type SystemClock struct{}

// Now returns time.Now().
func (SystemClock) Now() time.Time { return time.Now() }

// OffsetClock runs with the real time plus an offset that tests move forward,
// so time flows naturally between steps and jumps when a test needs a code or
// token to expire.
type OffsetClock struct {
	offset atomic.Int64
}

// NewOffsetClock returns a clock at the real time.
func NewOffsetClock() *OffsetClock { return &OffsetClock{} }

// Now returns the real time plus the offset.
func (c *OffsetClock) Now() time.Time { return time.Now().Add(time.Duration(c.offset.Load())) }

// Advance moves the clock forward by d.
func (c *OffsetClock) Advance(d time.Duration) { c.offset.Add(int64(d)) }

// Offset returns how far Advance has moved the clock from the real time.
func (c *OffsetClock) Offset() time.Duration { return time.Duration(c.offset.Load()) }
