package suites

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// TestCatalogueUpToDate fails when docs/CATALOGUE.md differs from what the
// specs declare.
func TestCatalogueUpToDate(t *testing.T) {
	if isChild() {
		t.Skip("child")
	}
	as, err := Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	var got bytes.Buffer
	WriteCatalogue(&got, as)
	want, err := os.ReadFile("../docs/CATALOGUE.md")
	if err != nil || !bytes.Equal(got.Bytes(), want) {
		t.Fatalf("docs/CATALOGUE.md is out of date with the specs: run `make catalogue` and commit it")
	}
}

// TestAssertionIDsUnique: an ID declared with two different assertions
// fails the catalogue, so the duplicate cannot go unnoticed.
func TestAssertionIDsUnique(t *testing.T) {
	if isChild() {
		t.Skip("child")
	}
	if _, err := Catalogue(); err != nil {
		t.Fatal(err)
	}
	registry.Lock()
	saved := registry.m["TOK-AC-001"]
	registry.Unlock()
	e := &Env{collectOnly: true}
	other := saved
	other.Requirement = "another requirement under the same ID"
	e.Assert(other, nil)
	_, err := Catalogue()
	registry.Lock()
	registry.m["TOK-AC-001"], registry.conflicts = saved, nil
	registry.Unlock()
	if err == nil || !strings.Contains(err.Error(), "TOK-AC-001 is declared twice") {
		t.Fatalf("a duplicate ID was not caught: %v", err)
	}
}
