package harness

import (
	"fmt"
	"sort"
	"sync"

	"github.com/xeipuuv/gojsonschema"

	"github.com/oauthconform/oauthconform/schemas"
)

// compiled caches one schema: specs validate every token response, and
// compiling is far dearer than validating.
type compiled struct {
	once   sync.Once
	schema *gojsonschema.Schema
	err    error
}

var schemaCache sync.Map // file name → *compiled

func loadSchema(name string) (*gojsonschema.Schema, error) {
	v, _ := schemaCache.LoadOrStore(name, &compiled{})
	c := v.(*compiled)
	c.once.Do(func() {
		doc, err := schemas.Read(name)
		if err != nil {
			c.err = err
			return
		}
		c.schema, c.err = gojsonschema.NewSchema(gojsonschema.NewBytesLoader(doc))
		if c.err != nil {
			c.err = fmt.Errorf("schema %s: %w", name, c.err)
		}
	})
	return c.schema, c.err
}

// Validate checks a body against an embedded schema (a file name in
// schemas/, e.g. "token-response.json") and returns the violations, sorted,
// as "field: problem" lines; none means valid. An unknown schema or a body
// that is not JSON is reported as a violation too, so a caller needs one
// check only.
func Validate(schemaName string, body []byte) []string {
	s, err := loadSchema(schemaName)
	if err != nil {
		return []string{err.Error()}
	}
	res, err := s.Validate(gojsonschema.NewBytesLoader(body))
	if err != nil {
		return []string{fmt.Sprintf("body is not JSON: %v", err)}
	}
	var out []string
	for _, e := range res.Errors() {
		out = append(out, e.String())
	}
	sort.Strings(out)
	return out
}
