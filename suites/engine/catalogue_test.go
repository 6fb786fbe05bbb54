package engine

import (
	"strings"
	"testing"

	"github.com/oauthconform/oauthconform/suites/harness"
)

// TestAssertionIDsUnique: an ID declared with two different assertions
// fails the catalogue, so the duplicate cannot go unnoticed.
func TestAssertionIDsUnique(t *testing.T) {
	a := harness.Assertion{ID: "TEST-DUP-001", Level: MUST, Section: "RFC 6749 §5.2", Requirement: "the server does one thing"}
	n := len(groups)
	Register(Group{ID: "TEST-DUP", Title: "a test group", Specs: func(e *Env) { e.Assert(a, nil) }})
	defer func() {
		groups = groups[:n]
		registry.Lock()
		delete(registry.m, a.ID)
		registry.conflicts = nil
		registry.Unlock()
	}()
	if _, err := Catalogue(); err != nil {
		t.Fatal(err)
	}
	e := &Env{collectOnly: true}
	other := a
	other.Requirement = "another requirement under the same ID"
	e.Assert(other, nil)
	_, err := Catalogue()
	if err == nil || !strings.Contains(err.Error(), "TEST-DUP-001 is declared twice") {
		t.Fatalf("a duplicate ID was not caught: %v", err)
	}
}
