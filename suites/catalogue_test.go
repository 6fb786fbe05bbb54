package suites

import (
	"bytes"
	"os"
	"os/exec"
	"testing"
)

const catalogueChildEnv = "OAUTHCONFORM_CATALOGUE_CHILD"

// TestCatalogueChild writes the generated catalogue; it runs only as a child
// of TestCatalogueUpToDate (Ginkgo allows one run per process).
func TestCatalogueChild(t *testing.T) {
	out := os.Getenv(catalogueChildEnv)
	if out == "" {
		t.Skip("runs only as a child of TestCatalogueUpToDate")
	}
	as, err := Catalogue()
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	WriteCatalogue(&b, as)
	if err := os.WriteFile(out, b.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
}

// TestCatalogueUpToDate fails when docs/CATALOGUE.md differs from what the
// specs declare.
func TestCatalogueUpToDate(t *testing.T) {
	if os.Getenv(catalogueChildEnv) != "" || os.Getenv(childEnv) != "" {
		t.Skip("child")
	}
	out := t.TempDir() + "/CATALOGUE.md"
	cmd := exec.Command(os.Args[0], "-test.run=^TestCatalogueChild$", "-test.count=1")
	cmd.Env = append(os.Environ(), catalogueChildEnv+"="+out)
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("catalogue child: %v\n%s", err, b)
	}
	got, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	want, err := os.ReadFile("../docs/CATALOGUE.md")
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("docs/CATALOGUE.md is out of date with the specs: run `make catalogue` and commit it")
	}
}
