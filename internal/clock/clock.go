// Package clock is business time: the instant the product treats as "now"
// when it receives a dossier, computes a deadline, stamps a payment or a
// postal event, or shows working time left.
//
// In production business time is the wall clock. In development and tests
// it may be shifted by a fixed offset, so that a trainer can show what
// happens on Friday at 16:59 or on the eve of Tết, and so that the test suite
// gives the same result whatever day and hour it runs at. The offset is
// fixed, not a frozen instant: business time still flows, second for
// second, so the real Temporal server's timers keep their meaning.
//
// Every process of one system must use the same offset. The API hands its
// offset to each dossier workflow it starts (workflows.DossierInput), so the
// workflow and the API agree on "now" whatever the worker's own setting.
package clock

import "time"

// Clock reads business time. The zero Clock is the wall clock.
type Clock struct {
	// Offset is added to the wall clock: business time minus wall time.
	Offset time.Duration
}

// Now returns the current business time.
func (c Clock) Now() time.Time { return time.Now().Add(c.Offset) }

// Starting returns a clock that reads start now and runs on from there.
func Starting(start time.Time) Clock { return Clock{Offset: time.Until(start)} }

// Shifted reports whether business time differs from the wall clock.
func (c Clock) Shifted() bool { return c.Offset != 0 }
