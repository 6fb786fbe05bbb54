package report

import (
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// JUnit XML, as CI systems read it (the common schema, testdata/junit.xsd):
//   - one <testsuite> per target and group, named "target.group";
//   - a <testcase> per check: classname "target.group", name "ID:
//     requirement" (short; the ID first so it reads in a narrow column);
//   - FAIL is <failure> (its message the reason, its text the evidence),
//     SKIP is <skipped>, NOT-RUN is <error type="NOT-RUN"> (it fails the
//     run, but is no verdict on the server);
//   - WARN passes (a SHOULD breach does not fail the run) and is shown in
//     the test case's <system-out>, which CI systems display with the
//     test, starting "WARN"; each suite's "warned" property counts them.
//
// So tests, failures, errors and skipped equal the terminal's total,
// FAILED, NOT RUN and SKIPPED, and PASSED + WARNED are the passing tests.

// junitNameMax bounds the requirement part of a test name.
const junitNameMax = 100

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Skipped  int          `xml:"skipped,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Time       string          `xml:"time,attr"`
	Timestamp  string          `xml:"timestamp,attr,omitempty"`
	Properties []junitProperty `xml:"properties>property,omitempty"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string        `xml:"name,attr"`
	Classname string        `xml:"classname,attr"`
	Time      string        `xml:"time,attr"`
	Skipped   *junitMessage `xml:"skipped,omitempty"`
	Error     *junitMessage `xml:"error,omitempty"`
	Failure   *junitMessage `xml:"failure,omitempty"`
	SystemOut string        `xml:"system-out,omitempty"`
}

type junitMessage struct {
	Message string `xml:"message,attr,omitempty"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",chardata"`
}

func seconds(d interface{ Seconds() float64 }) string {
	return strconv.FormatFloat(d.Seconds(), 'f', 3, 64)
}

// WriteJUnit writes the run as JUnit XML.
func (r *Run) WriteJUnit(w io.Writer) error {
	doc := junitSuites{Name: "oauthconform", Time: seconds(r.Duration)}
	idx := map[[2]string]int{}
	for _, row := range r.Rows() {
		idx[[2]string{row.Target, row.Group}] = len(doc.Suites)
		name := row.Target + "." + row.Group
		s := junitSuite{Name: name, Tests: row.Total(), Failures: row.Fail, Errors: row.NotRun, Skipped: row.Skip,
			Properties: []junitProperty{
				{"target", row.Target}, {"group", strings.TrimSpace(row.Group + " " + row.GroupTitle)},
				{"passed", strconv.Itoa(row.Pass)}, {"warned", strconv.Itoa(row.Warn)},
			}}
		if !r.Started.IsZero() {
			s.Timestamp = r.Started.UTC().Format("2006-01-02T15:04:05")
		}
		doc.Suites = append(doc.Suites, s)
	}
	var total float64
	for i := range r.Checks {
		c := &r.Checks[i]
		s := &doc.Suites[idx[[2]string{c.Target, c.Group}]]
		tc := junitCase{Name: c.Name(junitNameMax), Classname: s.Name, Time: seconds(c.Duration)}
		head := fmt.Sprintf("%s [%s] %s", c.ID, c.Level, c.Section)
		switch c.Verdict {
		case Fail:
			tc.Failure = &junitMessage{Message: c.Reason, Type: c.Level, Text: head + "\n" + c.Requirement + "\n\n" + c.Reason + evidenceBlock(c.Evidence)}
		case Skip:
			tc.Skipped = &junitMessage{Message: c.Reason}
		case NotRun:
			tc.Error = &junitMessage{Message: "not run: " + c.Reason, Type: string(NotRun)}
		case Warn:
			if c.Baseline != "" {
				tc.SystemOut = "WARN " + head + ": failed, accepted by the baseline: " + c.Baseline + "\n\n" + c.Reason + evidenceBlock(c.Evidence)
			} else {
				tc.SystemOut = "WARN " + head + "\n\n" + strings.Join(c.Warnings, "\n\n")
			}
		}
		if len(c.Saw) > 0 {
			saw := "saw: " + strings.Join(c.Saw, "\nsaw: ")
			if tc.SystemOut != "" {
				tc.SystemOut += "\n\n"
			}
			tc.SystemOut += saw
		}
		total += c.Duration.Seconds()
		s.Cases = append(s.Cases, tc)
	}
	for i := range doc.Suites {
		var d float64
		for _, tc := range doc.Suites[i].Cases {
			f, _ := strconv.ParseFloat(tc.Time, 64)
			d += f
		}
		doc.Suites[i].Time = strconv.FormatFloat(d, 'f', 3, 64)
	}
	t := r.Totals()
	doc.Tests, doc.Failures, doc.Errors, doc.Skipped = t.Total(), t.Fail, t.NotRun, t.Skip
	if r.Duration == 0 {
		doc.Time = strconv.FormatFloat(total, 'f', 3, 64)
	}
	if _, err := io.WriteString(w, xml.Header); err != nil {
		return err
	}
	enc := xml.NewEncoder(w)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return fmt.Errorf("report: writing JUnit: %w", err)
	}
	_, err := io.WriteString(w, "\n")
	return err
}
