package signing

import (
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

var (
	xrefEntry   = regexp.MustCompile(`(?m)^\s*(\d+)\s+(\d+)\s+[fn]\b`)
	xrefSection = regexp.MustCompile(`(?m)^(\d+) (\d+)\s*$`)
	offsetKeys  = regexp.MustCompile(`(?:startxref\s+|/Prev\s+|/Length\s+)(\d+)`)
	sizeKeys    = regexp.MustCompile(`/Size\s+(\d+)`)
	indexArrays = regexp.MustCompile(`/Index\s*\[([\d\s]*)\]`)
	digits      = regexp.MustCompile(`\d+`)
)

// sane checks the numbers the PDF library would trust: every offset and
// length within the file, every declared count within maxObjects.
func sane(in []byte) error {
	size := int64(len(in))
	within := func(b []byte, limit int64) bool {
		n, err := strconv.ParseInt(string(b), 10, 64)
		return err == nil && n <= limit
	}
	for _, m := range xrefEntry.FindAllSubmatch(in, -1) {
		if !within(m[1], size) {
			return ErrMalformed
		}
	}
	for _, m := range offsetKeys.FindAllSubmatch(in, -1) {
		if !within(m[1], size) {
			return ErrMalformed
		}
	}
	for _, m := range xrefSection.FindAllSubmatch(in, -1) {
		if !within(m[1], maxObjects) || !within(m[2], maxObjects) {
			return ErrMalformed
		}
	}
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
