//go:build race

package suites_test

// raceOn: this test binary has the race detector.
const raceOn = true
