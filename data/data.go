// Package data carries the reference data motcua ships with: the sample
// procedure catalog and the official table of days off, built into the
// binary so `motcua seed` needs no files at run time.
package data

import _ "embed"

// Procedures is procedures.yaml: agencies and procedures.
//
//go:embed procedures.yaml
var Procedures []byte

// Holidays is holidays-vn.yaml: days off and make-up working days per year.
//
//go:embed holidays-vn.yaml
var Holidays []byte

// Rules is rules.yaml: the processing rules by effective date.
//
//go:embed rules.yaml
var Rules []byte

// Areas is areas.yaml: the administrative areas postal service is
// suspended by.
//
//go:embed areas.yaml
var Areas []byte

// Notices is notices.yaml: the applicant notices' templates by version.
//
//go:embed notices.yaml
var Notices []byte

// RatingReasons is rating_reasons.yaml: why an applicant was not
// satisfied, the fixed list by version.
//
//go:embed rating_reasons.yaml
var RatingReasons []byte
