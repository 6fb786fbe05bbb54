package quirkids_test

import (
	"regexp"
	"testing"

	"github.com/oauthconform/oauthconform/mockserver"
	"github.com/oauthconform/oauthconform/suites/quirkids"
)

// TestEveryQuirkHasIDs: every quirk of the mock has assertion IDs here, and
// every name here is a quirk of the mock.
func TestEveryQuirkHasIDs(t *testing.T) {
	known := map[string]bool{}
	for _, q := range mockserver.Quirks() {
		known[q.Name] = true
		if len(quirkids.IDs(q.Name)) == 0 {
			t.Errorf("quirk %s has no assertion IDs", q.Name)
		}
	}
	for _, n := range quirkids.Names() {
		if !known[n] {
			t.Errorf("%s is not a quirk of the mock", n)
		}
	}
}

var idSyntax = regexp.MustCompile(`^[A-Z]+(-[A-Z]+)*-[0-9]{3}$`)

// TestIDsAreWellFormed: IDs look like catalogue IDs and none repeats within a
// quirk (the quirk matrix checks that each one's spec exists and fails).
func TestIDsAreWellFormed(t *testing.T) {
	for _, n := range quirkids.Names() {
		seen := map[string]bool{}
		for _, id := range quirkids.IDs(n) {
			if !idSyntax.MatchString(id) {
				t.Errorf("%s: %q is not an assertion ID", n, id)
			}
			if seen[id] {
				t.Errorf("%s: %s twice", n, id)
			}
			seen[id] = true
		}
	}
}

func TestIDsIsACopy(t *testing.T) {
	ids := quirkids.IDs("no-cache-control")
	ids[0] = "X"
	if quirkids.IDs("no-cache-control")[0] == "X" {
		t.Fatal("IDs returns the table's own slice")
	}
	if quirkids.IDs("no-such-quirk") != nil {
		t.Fatal("an unknown quirk has IDs")
	}
}
