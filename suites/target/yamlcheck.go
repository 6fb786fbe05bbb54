package target

import (
	"fmt"
	"reflect"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	nearest "github.com/oauthconform/oauthconform/internal/suggest"
)

// positions maps a field path (clients.primary.secret, grant_types[1]) to
// the line of the document that holds it.
type positions map[string]int

// line returns the line of field, or of the nearest enclosing field the
// document has (clients.primary for clients.primary.redirect_uris[0] when
// only redirect_uri is written); 0 when the document has none of them.
func (p positions) line(field string) int {
	for field != "" {
		if l, ok := p[field]; ok {
			return l
		}
		i := strings.LastIndexAny(field, ".[")
		if i < 0 {
			return 0
		}
		field = field[:i]
	}
	return 0
}

// checkNode walks a decoded YAML document against the Go type it is decoded
// into and reports the first key that type does not know (with the nearest
// known key as a suggestion), the first value of the wrong shape (a list
// where one value belongs, a single value where a list does), and an
// unknown client role, each with its line and field path. It records the
// line of every field in pos.
func checkNode(n *yaml.Node, t reflect.Type, path string, pos positions) error {
	for n.Kind == yaml.AliasNode && n.Alias != nil {
		n = n.Alias
	}
	if isNull(n) {
		return nil
	}
	for t.Kind() == reflect.Pointer {
		t = t.Elem()
	}
	switch t.Kind() {
	case reflect.Struct:
		if n.Kind != yaml.MappingNode {
			return shapeErr(n, path, "must be a mapping (key: value)")
		}
		known := yamlFields(t)
		return checkMapping(n, t, path, pos, func(k *yaml.Node, field string) (reflect.Type, error) {
			ft, ok := known[k.Value]
			if !ok {
				names := make([]string, 0, len(known))
				for name := range known {
					names = append(names, name)
				}
				slices.Sort(names)
				return nil, &FieldError{Field: field, Line: k.Line, Msg: "unknown field" + suggest(k.Value, names, "known")}
			}
			return ft, nil
		})
	case reflect.Map:
		if n.Kind != yaml.MappingNode {
			return shapeErr(n, path, "must be a mapping (name: value)")
		}
		return checkMapping(n, t, path, pos, func(k *yaml.Node, field string) (reflect.Type, error) {
			if path == "clients" && !slices.Contains(roles, k.Value) {
				return nil, &FieldError{Field: field, Line: k.Line, Msg: "unknown role" + suggest(k.Value, roles, "known")}
			}
			return t.Elem(), nil
		})
	case reflect.Slice:
		if n.Kind != yaml.SequenceNode {
			msg := "must be a list"
			if n.Kind == yaml.ScalarNode {
				msg += fmt.Sprintf(", e.g. [%s]", n.Value)
			}
			return shapeErr(n, path, msg)
		}
		for i, item := range n.Content {
			field := fmt.Sprintf("%s[%d]", path, i)
			pos[field] = item.Line
			if err := checkNode(item, t.Elem(), field, pos); err != nil {
				return err
			}
		}
	default:
		if n.Kind != yaml.ScalarNode {
			return shapeErr(n, path, "must be a single value")
		}
	}
	return nil
}

// checkMapping checks the members of mapping n, of type t, in order: the
// value of a merge key as part of n (checkMerge), every other value against
// the type member gives for its key (or member's error), recording the
// key's line in pos.
func checkMapping(n *yaml.Node, t reflect.Type, path string, pos positions, member func(k *yaml.Node, field string) (reflect.Type, error)) error {
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		if k.Tag == "!!merge" {
			if err := checkMerge(v, t, path, pos); err != nil {
				return err
			}
			continue
		}
		field := join(path, k.Value)
		vt, err := member(k, field)
		if err != nil {
			return err
		}
		pos[field] = k.Line
		if err := checkNode(v, vt, field, pos); err != nil {
			return err
		}
	}
	return nil
}

// checkMerge checks the value of a YAML merge key (<<: *anchor) as part of
// the mapping it is merged into.
func checkMerge(v *yaml.Node, t reflect.Type, path string, pos positions) error {
	for v.Kind == yaml.AliasNode && v.Alias != nil {
		v = v.Alias
	}
	if v.Kind == yaml.SequenceNode {
		for _, m := range v.Content {
			if err := checkNode(m, t, path, pos); err != nil {
				return err
			}
		}
		return nil
	}
	return checkNode(v, t, path, pos)
}

func isNull(n *yaml.Node) bool {
	return n.Kind == yaml.ScalarNode && n.Tag == "!!null"
}

func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// shapeErr reports a value of the wrong shape, saying what was found.
func shapeErr(n *yaml.Node, path, msg string) error {
	got := "a value"
	switch n.Kind {
	case yaml.MappingNode:
		got = "a mapping"
	case yaml.SequenceNode:
		got = "a list"
	case yaml.ScalarNode:
		got = "the value " + strconv.Quote(n.Value)
	}
	if path == "" {
		return &FieldError{Line: n.Line, Msg: fmt.Sprintf("a target file is a mapping (profile:, issuer:, clients:, ...), not %s", got)}
	}
	return &FieldError{Field: path, Line: n.Line, Msg: fmt.Sprintf("%s, not %s", msg, got)}
}

// yamlFields returns the keys a struct type decodes, with their types.
func yamlFields(t reflect.Type) map[string]reflect.Type {
	out := map[string]reflect.Type{}
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		tag := f.Tag.Get("yaml")
		name, opts, _ := strings.Cut(tag, ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		if strings.Contains(","+opts+",", ",inline,") && f.Type.Kind() == reflect.Struct {
			for k, v := range yamlFields(f.Type) {
				out[k] = v
			}
			continue
		}
		if name == "" {
			name = strings.ToLower(f.Name)
		}
		out[name] = f.Type
	}
	return out
}

// suggest names the known word nearest to word when one is close enough
// (`; did you mean "secret"?`), else lists the known words.
func suggest(word string, known []string, what string) string {
	if best := nearest.Nearest(word, known); best != "" {
		return fmt.Sprintf("; did you mean %q?", best)
	}
	return fmt.Sprintf(" (%s: %s)", what, strings.Join(known, ", "))
}

var yamlLineRE = regexp.MustCompile(`^(?:yaml: )?line (\d+): (.*)$`)

// yamlErr turns an error of the YAML parser or decoder ("yaml: line 3: did
// not find expected key", or a decoder's list of "line N: ..." messages)
// into a FieldError with the line of its first problem.
func yamlErr(err error) error {
	msg := err.Error()
	if te, ok := err.(*yaml.TypeError); ok && len(te.Errors) > 0 {
		msg = te.Errors[0]
	}
	if m := yamlLineRE.FindStringSubmatch(msg); m != nil {
		l, _ := strconv.Atoi(m[1])
		return &FieldError{Line: l, Msg: m[2]}
	}
	return &FieldError{Msg: strings.TrimPrefix(msg, "yaml: ")}
}
