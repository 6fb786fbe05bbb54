package harness

// For the external tests (report_test.go): the echoing target and the
// spellings of a leak.
var (
	NewEchoTarget = newEchoTarget
	LeakForms     = leakForms
	BasicForms    = basicForms
)

// Issued lists the tokens and codes the echoing target gave out.
func (et *echoTarget) Issued() []string { return et.tokens() }
