package report

import (
	"encoding/json"
	"fmt"
	"io"
	"time"
)

// FormatVersion is the version of the JSON report document; it changes
// only when a member changes meaning or goes away (new members may be
// added within a version).
const FormatVersion = 1

// SchemaID is the $schema of the JSON report (schemas/report.schema.json).
const SchemaID = "https://oauthconform.dev/schemas/report-v1.json"

type jsonDoc struct {
	Schema      string       `json:"$schema"`
	Version     int          `json:"version"`
	Tool        jsonTool     `json:"tool"`
	Started     string       `json:"started,omitempty"`
	DurationMS  int64        `json:"duration_ms"`
	Strict      bool         `json:"strict"`
	Interrupted bool         `json:"interrupted"`
	ExitCode    int          `json:"exit_code"`
	Targets     []jsonTarget `json:"targets"`
	Totals      jsonTotals   `json:"totals"`
	Checks      []jsonCheck  `json:"checks"`
	Baseline    *jsonBase    `json:"baseline,omitempty"`
}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

type jsonTarget struct {
	Name     string        `json:"name"`
	Dialect  string        `json:"dialect,omitempty"`
	Issuer   string        `json:"issuer,omitempty"`
	Settings []jsonSetting `json:"settings"`
	Notes    []string      `json:"notes"`
}

type jsonSetting struct {
	Name   string `json:"name"`
	Value  string `json:"value"`
	Source string `json:"source"`
}

type jsonTotals struct {
	Total  int `json:"total"`
	Pass   int `json:"pass"`
	Fail   int `json:"fail"`
	Warn   int `json:"warn"`
	Skip   int `json:"skip"`
	NotRun int `json:"not_run"`
}

type jsonCheck struct {
	Target      string   `json:"target"`
	Group       string   `json:"group"`
	ID          string   `json:"id"`
	Level       string   `json:"level"`
	Section     string   `json:"section"`
	Requirement string   `json:"requirement"`
	Verdict     Verdict  `json:"verdict"`
	Reason      string   `json:"reason,omitempty"`
	Evidence    string   `json:"evidence,omitempty"`
	Warnings    []string `json:"warnings,omitempty"`
	Saw         []string `json:"saw,omitempty"`
	Baseline    string   `json:"baseline,omitempty"`
	DurationMS  int64    `json:"duration_ms"`
}

type jsonBase struct {
	File  string          `json:"file"`
	Stale []BaselineEntry `json:"stale"`
}

func ms(d time.Duration) int64 { return d.Milliseconds() }

// WriteJSON writes the run as the versioned JSON report document.
func (r *Run) WriteJSON(w io.Writer) error {
	t := r.Totals()
	doc := jsonDoc{
		Schema: SchemaID, Version: FormatVersion,
		Tool:       jsonTool{Name: r.Tool, Version: r.Version},
		DurationMS: ms(r.Duration), Strict: r.Strict, Interrupted: r.Interrupted, ExitCode: r.ExitCode,
		Targets: []jsonTarget{},
		Totals:  jsonTotals{Total: t.Total(), Pass: t.Pass, Fail: t.Fail, Warn: t.Warn, Skip: t.Skip, NotRun: t.NotRun},
		Checks:  make([]jsonCheck, 0, len(r.Checks)),
	}
	if doc.Tool.Name == "" {
		doc.Tool.Name = "oauthconform"
	}
	if !r.Started.IsZero() {
		doc.Started = r.Started.UTC().Format(time.RFC3339)
	}
	for _, tg := range r.Targets {
		jt := jsonTarget{Name: tg.Name, Dialect: tg.Dialect, Issuer: tg.Issuer, Settings: []jsonSetting{}, Notes: tg.Notes}
		if jt.Notes == nil {
			jt.Notes = []string{}
		}
		for _, s := range tg.Settings {
			jt.Settings = append(jt.Settings, jsonSetting(s))
		}
		doc.Targets = append(doc.Targets, jt)
	}
	for i := range r.Checks {
		c := &r.Checks[i]
		doc.Checks = append(doc.Checks, jsonCheck{
			Target: c.Target, Group: c.Group, ID: c.ID, Level: c.Level, Section: c.Section,
			Requirement: c.Requirement, Verdict: c.Verdict, Reason: c.Reason, Evidence: c.Evidence,
			Warnings: c.Warnings, Saw: c.Saw, Baseline: c.Baseline, DurationMS: ms(c.Duration),
		})
	}
	if r.Baseline != "" {
		doc.Baseline = &jsonBase{File: r.Baseline, Stale: r.Stale}
		if doc.Baseline.Stale == nil {
			doc.Baseline.Stale = []BaselineEntry{}
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false) // evidence quotes HTML; keep it readable
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("report: writing JSON: %w", err)
	}
	return nil
}
