package report

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/oauthconform/oauthconform/internal/suggest"
)

// A baseline lists known failures a team accepts for now, as conformance
// programs keep exceptions: a listed check that fails is a WARN naming the
// entry's reason instead of a FAIL, and an entry whose check ran and did not
// fail is reported as stale, to be removed. The file:
//
//	accepted:
//	  - id: TOK-RESP-003
//	    target: staging        # optional: a target name or path.Match pattern
//	    reason: OPS-123, the Pragma header comes with release 2.4
type Baseline struct {
	// File is where it was read from.
	File    string
	Entries []BaselineEntry
}

// BaselineEntry accepts the failure of one check.
type BaselineEntry struct {
	ID     string `yaml:"id" json:"id"`
	Target string `yaml:"target,omitempty" json:"target,omitempty"`
	Reason string `yaml:"reason" json:"reason"`
	// Line is the entry's line in the file.
	Line int `yaml:"-" json:"line,omitempty"`
}

func (e BaselineEntry) label() string {
	s := e.ID
	if e.Target != "" {
		s += " (target " + e.Target + ")"
	}
	if e.Line > 0 {
		s += fmt.Sprintf(" at line %d", e.Line)
	}
	return s
}

func (e BaselineEntry) matches(c *Check) bool {
	if e.ID != c.ID {
		return false
	}
	if e.Target == "" || e.Target == c.Target {
		return true
	}
	ok, _ := path.Match(e.Target, c.Target)
	return ok
}

// LoadBaseline reads a baseline file. Every entry needs an id known to the
// catalogue (known; nil skips the check) and a reason.
func LoadBaseline(file string, known func(id string) (ok bool, suggestion string)) (*Baseline, error) {
	raw, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	var doc struct {
		Accepted []yaml.Node `yaml:"accepted"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&doc); err != nil && !errors.Is(err, io.EOF) { // empty: no entries
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	b := &Baseline{File: file}
	var problems []string
	for _, n := range doc.Accepted {
		if bad := unknownKeys(file, &n); len(bad) > 0 {
			problems = append(problems, bad...)
			continue
		}
		var e BaselineEntry
		if err := n.Decode(&e); err != nil {
			problems = append(problems, fmt.Sprintf("%s:%d: %v", file, n.Line, err))
			continue
		}
		e.Line = n.Line
		e.ID = strings.TrimSpace(e.ID)
		switch {
		case e.ID == "":
			problems = append(problems, fmt.Sprintf("%s:%d: accepted entry without id", file, n.Line))
			continue
		case strings.TrimSpace(e.Reason) == "":
			problems = append(problems, fmt.Sprintf("%s:%d: %s: a reason is required (why the failure is accepted)", file, n.Line, e.ID))
			continue
		}
		if e.Target != "" {
			if _, err := path.Match(e.Target, ""); err != nil {
				problems = append(problems, fmt.Sprintf("%s:%d: %s: target pattern %q: %v", file, n.Line, e.ID, e.Target, err))
				continue
			}
		}
		if known != nil {
			if ok, sug := known(e.ID); !ok {
				msg := fmt.Sprintf("%s:%d: %s: no such check", file, n.Line, e.ID)
				if sug != "" {
					msg += fmt.Sprintf("; did you mean %s?", sug)
				}
				problems = append(problems, msg)
				continue
			}
		}
		b.Entries = append(b.Entries, e)
	}
	if len(problems) > 0 {
		return nil, errors.New(strings.Join(problems, "\n"))
	}
	return b, nil
}

// Apply turns the failures b accepts into WARNs and records the entries
// whose checks ran and did not fail as stale. An entry whose check was
// skipped or not run proves nothing either way.
func (r *Run) Apply(b *Baseline) {
	if b == nil {
		return
	}
	r.Baseline = b.File
	for _, e := range b.Entries {
		failed, ran := false, false
		for i := range r.Checks {
			c := &r.Checks[i]
			if !e.matches(c) {
				continue
			}
			switch c.Verdict {
			case Fail:
				c.Verdict = Warn
				c.Baseline = e.Reason
				failed = true
			case Warn:
				if c.Baseline != "" {
					failed = true
				} else {
					ran = true
				}
			case Pass:
				ran = true
			}
		}
		if ran && !failed {
			r.Stale = append(r.Stale, e)
		}
	}
}

// entryKeys are the keys of a baseline entry.
var entryKeys = []string{"id", "target", "reason"}

// unknownKeys reports the keys of an entry that are not entryKeys (a Node's
// Decode does not check them).
func unknownKeys(file string, n *yaml.Node) []string {
	if n.Kind != yaml.MappingNode {
		return []string{fmt.Sprintf("%s:%d: an accepted entry is a mapping of id, target and reason", file, n.Line)}
	}
	var out []string
	for i := 0; i+1 < len(n.Content); i += 2 {
		k := n.Content[i]
		if slices.Contains(entryKeys, k.Value) {
			continue
		}
		msg := fmt.Sprintf("%s:%d: unknown field %q", file, k.Line, k.Value)
		if s := suggest.Nearest(k.Value, entryKeys); s != "" {
			msg += fmt.Sprintf("; did you mean %q?", s)
		} else {
			msg += " (known: id, target, reason)"
		}
		out = append(out, msg)
	}
	return out
}
