package dossier

import "strings"

// MaskIDNumber hides the middle of an identity number (số CCCD/CMND) so a
// list can show which applicant it is without disclosing the number:
// the first 4 and the last 2 characters stay, e.g. 079203001234 →
// 0792******34. Anything too short to keep both ends is fully starred.
func MaskIDNumber(s string) string {
	const keepStart, keepEnd = 4, 2
	r := []rune(s)
	if len(r) <= keepStart+keepEnd {
		return strings.Repeat("*", len(r))
	}
	return string(r[:keepStart]) + strings.Repeat("*", len(r)-keepStart-keepEnd) + string(r[len(r)-keepEnd:])
}
