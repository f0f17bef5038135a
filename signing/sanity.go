package signing

import (
	"bytes"
	"errors"
	"regexp"
	"strconv"
)

// ErrMalformed: the file's structure points outside it or declares more
// objects than a result could hold, so it is not parsed at all. The PDF
// library trusts those numbers (a forged cross-reference offset made it
// allocate gigabytes), and the verification takes anyone's upload.
var ErrMalformed = errors.New("the PDF's structure is damaged: offsets or sizes point beyond the file")

// maxObjects bounds the objects a PDF under verification may declare: a
// result is a few pages (a signed form has some 30 objects).
const maxObjects = 100_000

// The patterns of the numbers checked. Each starts with a literal or is
// anchored (\A) and tried only where it can start, so the regexp engine
// skips to the next candidate instead of stepping through every byte of
// the compressed streams: the unanchored multi-line patterns this replaced
// took 90% of a signature's CPU (3.7 ms of 4.2 for a one-page result;
// docs/PERFORMANCE.md, issue 21). sanity_test.go keeps those patterns and
// checks that whatever they reject is still rejected.
var (
	// An entry of a cross-reference table, "0000000017 00000 n", at the
	// start of a line (after blanks).
	xrefEntry = regexp.MustCompile(`\A(\d+)\s+(\d+)\s+[fn]\b`)
	// The head of a cross-reference subsection, "0 31", alone on its line.
	xrefSection = regexp.MustCompile(`(?m)\A(\d+) (\d+)\s*$`)
	offsetKeys  = []*regexp.Regexp{
		regexp.MustCompile(`startxref\s+(\d+)`),
		regexp.MustCompile(`/Prev\s+(\d+)`),
		regexp.MustCompile(`/Length\s+(\d+)`),
	}
	sizeKeys    = regexp.MustCompile(`/Size\s+(\d+)`)
	indexArrays = regexp.MustCompile(`/Index\s*\[([\d\s]*)\]`)
	digits      = regexp.MustCompile(`\d+`)
)

// sane checks the numbers the PDF library would trust: every offset and
// length within the file, every declared count within maxObjects.
func sane(in []byte) error {
	size := int64(len(in))
	// Line by line for the cross-reference tables: a line start is the
	// file's start or the byte after a '\n' (as (?m)^ has it), and only
	// one whose first byte after blanks is a digit can start either
	// pattern. A pattern's leading \s* could cross a '\n' only to reach
	// a later line start, which is tried itself.
	for p := 0; p < len(in); {
		q := p
		for q < len(in) && (in[q] == ' ' || in[q] == '\t' || in[q] == '\r' || in[q] == '\f') {
			q++
		}
		if q < len(in) && in[q] >= '0' && in[q] <= '9' {
			if m := xrefEntry.FindSubmatch(in[q:]); m != nil && !within(m[1], size) {
				return ErrMalformed
			}
			if q == p {
				if m := xrefSection.FindSubmatch(in[p:]); m != nil && (!within(m[1], maxObjects) || !within(m[2], maxObjects)) {
					return ErrMalformed
				}
			}
		}
		nl := bytes.IndexByte(in[q:], '\n')
		if nl < 0 {
			break
		}
		p = q + nl + 1
	}
	for _, re := range offsetKeys {
		for _, m := range re.FindAllSubmatch(in, -1) {
			if !within(m[1], size) {
				return ErrMalformed
			}
		}
	}
	return countsSane(in)
}

// within: b is a decimal number not above limit.
func within(b []byte, limit int64) bool {
	n, err := strconv.ParseInt(string(b), 10, 64)
	return err == nil && n <= limit
}

// countsSane checks the declared object counts (/Size, /Index arrays):
// their patterns start with a literal, which the regexp engine skips to.
func countsSane(in []byte) error {
	for _, m := range sizeKeys.FindAllSubmatch(in, -1) {
		if !within(m[1], maxObjects) {
			return ErrMalformed
		}
	}
	for _, m := range indexArrays.FindAllSubmatch(in, -1) {
		for _, d := range digits.FindAll(m[1], -1) {
			if !within(d, maxObjects) {
				return ErrMalformed
			}
		}
	}
	return nil
}
