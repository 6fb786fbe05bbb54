package suites

import (
	"bytes"
	"os"
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
