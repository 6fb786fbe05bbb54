package profile

import "strings"

// MatchPath matches a request path against a resource rule's path template
// (ResourceRule.Path), whose {name} segments each stand for one non-empty
// segment; it returns the segments' values by name. The mock routes its
// scope-gated API with it and the suites find the rule a probe hits, so
// both read a template alike.
func MatchPath(tmpl, path string) (map[string]string, bool) {
	ts, ps := strings.Split(tmpl, "/"), strings.Split(path, "/")
	if len(ts) != len(ps) {
		return nil, false
	}
	vars := map[string]string{}
	for i, t := range ts {
		if name, ok := templateVar(t); ok {
			if ps[i] == "" {
				return nil, false
			}
			vars[name] = ps[i]
			continue
		}
		if t != ps[i] {
			return nil, false
		}
	}
	return vars, true
}

// ExpandPath fills a path template: each {name} segment with fill(name).
func ExpandPath(tmpl string, fill func(name string) string) string {
	segs := strings.Split(tmpl, "/")
	for i, s := range segs {
		if name, ok := templateVar(s); ok {
			segs[i] = fill(name)
		}
	}
	return strings.Join(segs, "/")
}

// templateVar reports whether a segment is a {name} variable, and its name.
func templateVar(seg string) (string, bool) {
	if len(seg) > 2 && seg[0] == '{' && seg[len(seg)-1] == '}' {
		return seg[1 : len(seg)-1], true
	}
	return "", false
}
