package harness

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
)

// maxJSONDepth stops a hostile body from driving the decoder into deep
// recursion.
const maxJSONDepth = 512

// DuplicateKeyError reports a member name repeated within one JSON object,
// which RFC 6749 §3.2 forbids in responses (TOK-RESP-010).
type DuplicateKeyError struct {
	Key string
	// Path locates the object holding the duplicate, e.g. "$" or "$.a[0]".
	Path string
}

func (e *DuplicateKeyError) Error() string {
	return fmt.Sprintf("duplicate member %q in the JSON object at %s", e.Key, e.Path)
}

// DecodeJSONObject decodes a body that must be a single JSON object. Numbers
// stay json.Number, so 3600, 3600.0, "3600" and 3600.5 remain distinguishable.
//
// Duplicate member names at any depth yield a *DuplicateKeyError for the
// first one found; the map is still returned (later members win) so other
// checks can go on.
func DecodeJSONObject(body []byte) (map[string]any, error) {
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	tok, err := dec.Token()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, errors.New("body is empty, not a JSON object")
		}
		return nil, fmt.Errorf("body is not JSON: %w", err)
	}
	if d, ok := tok.(json.Delim); !ok || d != '{' {
		return nil, fmt.Errorf("body is JSON but not an object (starts with %v)", tok)
	}
	p := &jsonParser{dec: dec}
	m, err := p.object("$", 1)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); !errors.Is(err, io.EOF) {
		return nil, errors.New("body holds more than one JSON value")
	}
	if p.dup != nil {
		return m, p.dup
	}
	return m, nil
}

type jsonParser struct {
	dec *json.Decoder
	dup *DuplicateKeyError
}

// object reads members up to and including the closing brace.
func (p *jsonParser) object(path string, depth int) (map[string]any, error) {
	m := map[string]any{}
	for p.dec.More() {
		tok, err := p.dec.Token()
		if err != nil {
			return nil, fmt.Errorf("body is not JSON: %w", err)
		}
		key, _ := tok.(string)
		if _, seen := m[key]; seen && p.dup == nil {
			p.dup = &DuplicateKeyError{Key: key, Path: path}
		}
		v, err := p.value(path+"."+key, depth)
		if err != nil {
			return nil, err
		}
		m[key] = v
	}
	_, err := p.dec.Token() // '}'
	if err != nil {
		return nil, fmt.Errorf("body is not JSON: %w", err)
	}
	return m, nil
}

func (p *jsonParser) value(path string, depth int) (any, error) {
	tok, err := p.dec.Token()
	if err != nil {
		return nil, fmt.Errorf("body is not JSON: %w", err)
	}
	d, ok := tok.(json.Delim)
	if !ok {
		return tok, nil
	}
	if depth >= maxJSONDepth {
		return nil, fmt.Errorf("JSON nested deeper than %d levels", maxJSONDepth)
	}
	if d == '{' {
		return p.object(path, depth+1)
	}
	var a []any
	for i := 0; p.dec.More(); i++ {
		v, err := p.value(path+"["+strconv.Itoa(i)+"]", depth+1)
		if err != nil {
			return nil, err
		}
		a = append(a, v)
	}
	if _, err := p.dec.Token(); err != nil { // ']'
		return nil, fmt.Errorf("body is not JSON: %w", err)
	}
	if a == nil {
		a = []any{}
	}
	return a, nil
}
