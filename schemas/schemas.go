// Package schemas embeds the JSON Schemas that token endpoint responses are
// validated against: the generic RFC 6749 §5.1 success body, the §5.2 error
// body, and each profile's own success schema.
package schemas

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:embed *.json
var FS embed.FS

// Read returns the schema document of that file name.
func Read(name string) ([]byte, error) {
	b, err := FS.ReadFile(name)
	if err != nil {
		return nil, fmt.Errorf("schemas: %q is not an embedded schema: %w", name, err)
	}
	return b, nil
}

// Names lists the embedded schema files.
func Names() []string {
	var out []string
	_ = fs.WalkDir(FS, ".", func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			out = append(out, p)
		}
		return nil
	})
	return out
}
