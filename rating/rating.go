// Package rating holds the rules of the applicants' satisfaction rating
// (issue 19 §2): the national scale, the fixed list of reasons for not
// being satisfied (data/rating_reasons.yaml, by version) and what a rating
// must look like. Once per dossier and only after it ended are the
// store's and the API's to enforce.
package rating

import (
	"bytes"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"
	"unicode"
	"unicode/utf8"

	"go.yaml.in/yaml/v3"

	"github.com/motcua/motcua/data"
	"github.com/motcua/motcua/dossier"
)

// The national scale.
const (
	VerySatisfied = "very_satisfied" // rất hài lòng
	Satisfied     = "satisfied"      // hài lòng
	NotSatisfied  = "not_satisfied"  // không hài lòng
)

// Levels are the scale's levels, best first.
var Levels = []string{VerySatisfied, Satisfied, NotSatisfied}

// LevelLabel is a level in Vietnamese.
func LevelLabel(level string) string {
	switch level {
	case VerySatisfied:
		return "Rất hài lòng"
	case Satisfied:
		return "Hài lòng"
	case NotSatisfied:
		return "Không hài lòng"
	}
	return level
}

// MaxComment is how many characters the free text may have.
const MaxComment = 1000

// OtherReason is the reason that needs the free text.
const OtherReason = "other"

// Reason is one reason of the fixed list.
type Reason struct {
	Code  string `yaml:"code" json:"code"`
	Label string `yaml:"label" json:"label"`
}

// Reasons is one version of the list.
type Reasons struct {
	Version       int       `json:"version"`
	EffectiveFrom time.Time `json:"effective_from"`
	Reasons       []Reason  `json:"reasons"`
}

// Has reports whether code is on the list.
func (r Reasons) Has(code string) bool {
	return slices.ContainsFunc(r.Reasons, func(x Reason) bool { return x.Code == code })
}

// Codes are the list's codes, in its order.
func (r Reasons) Codes() []string {
	out := make([]string, len(r.Reasons))
	for i, x := range r.Reasons {
		out[i] = x.Code
	}
	return out
}

// Set is every version of the list, oldest first.
type Set struct{ versions []Reasons }

// Parse reads rating_reasons.yaml's format: versions going up with their
// effective dates, each a non-empty list of unique codes with labels and
// the "other" reason.
func Parse(raw []byte) (*Set, error) {
	var f struct {
		Versions []struct {
			Version       int      `yaml:"version"`
			EffectiveFrom string   `yaml:"effective_from"`
			Reasons       []Reason `yaml:"reasons"`
		} `yaml:"versions"`
	}
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("rating reasons: %w", err)
	}
	s := &Set{}
	for _, v := range f.Versions {
		at, err := time.ParseInLocation(time.DateOnly, v.EffectiveFrom, dossier.Location)
		if err != nil {
			return nil, fmt.Errorf("rating reasons v%d: effective_from: %w", v.Version, err)
		}
		r := Reasons{Version: v.Version, EffectiveFrom: at, Reasons: v.Reasons}
		if n := len(s.versions); n > 0 && (r.Version <= s.versions[n-1].Version || !at.After(s.versions[n-1].EffectiveFrom)) {
			return nil, fmt.Errorf("rating reasons v%d: versions must go up with effective_from", v.Version)
		}
		seen := map[string]bool{}
		for _, x := range r.Reasons {
			if x.Code == "" || x.Label == "" || seen[x.Code] {
				return nil, fmt.Errorf("rating reasons v%d: every reason needs a code of its own and a label", v.Version)
			}
			seen[x.Code] = true
		}
		if !seen[OtherReason] {
			return nil, fmt.Errorf("rating reasons v%d: the list needs the reason %q", v.Version, OtherReason)
		}
		s.versions = append(s.versions, r)
	}
	if len(s.versions) == 0 {
		return nil, fmt.Errorf("rating reasons: no version")
	}
	return s, nil
}

var defaultSet = sync.OnceValues(func() (*Set, error) { return Parse(data.RatingReasons) })

// Default is the list shipped in data/rating_reasons.yaml.
func Default() (*Set, error) { return defaultSet() }

// At is the version in force at t (the first version before it).
func (s *Set) At(t time.Time) Reasons {
	out := s.versions[0]
	for _, v := range s.versions {
		if !v.EffectiveFrom.After(t) {
			out = v
		}
	}
	return out
}

// Codes are every code any version has, in order of first appearance: the
// report's reason columns.
func (s *Set) Codes() []string {
	var out []string
	for _, v := range s.versions {
		for _, c := range v.Codes() {
			if !slices.Contains(out, c) {
				out = append(out, c)
			}
		}
	}
	return out
}

// Input is a rating as the applicant gives it.
type Input struct {
	Level   string
	Reasons []string
	Comment string
}

// Check reports what is wrong with in under the list list, field by field
// (level, reasons, comment), and returns it cleaned: the comment trimmed.
func Check(in Input, list Reasons) (Input, error) {
	var v dossier.Invalid
	in.Comment = strings.TrimSpace(in.Comment)
	switch in.Level {
	case VerySatisfied, Satisfied:
		if len(in.Reasons) > 0 {
			v.Add("reasons", "are given only with not_satisfied")
		}
		if in.Comment != "" {
			v.Add("comment", "is given only with not_satisfied")
		}
	case NotSatisfied:
		if len(in.Reasons) == 0 {
			v.Add("reasons", "name at least one reason: "+strings.Join(list.Codes(), ", "))
		}
		seen := map[string]bool{}
		for _, r := range in.Reasons {
			switch {
			case !list.Has(r):
				v.Add("reasons", fmt.Sprintf("%q is not on the list (version %d): %s", r, list.Version, strings.Join(list.Codes(), ", ")))
			case seen[r]:
				v.Add("reasons", fmt.Sprintf("%q is given twice", r))
			}
			seen[r] = true
		}
		if seen[OtherReason] && in.Comment == "" {
			v.Add("comment", "is required with the reason other: say what it is")
		}
	case "":
		v.Add("level", "is required: very_satisfied, satisfied or not_satisfied")
	default:
		v.Add("level", "must be very_satisfied, satisfied or not_satisfied")
	}
	if n := utf8.RuneCountInString(in.Comment); n > MaxComment {
		v.Add("comment", fmt.Sprintf("must be at most %d characters (it has %d)", MaxComment, n))
	}
	if !utf8.ValidString(in.Comment) || strings.ContainsFunc(in.Comment, func(r rune) bool {
		return unicode.IsControl(r) && r != '\n' && r != '\r' && r != '\t'
	}) {
		v.Add("comment", "must be text without control characters")
	}
	return in, v.Err()
}
