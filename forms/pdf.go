// Package forms renders the one-stop center's legal forms as PDF: 01 the
// receipt with the appointment date, 02 the supplement request, 03 the
// refusal, 04 the apology letter, 05 the notice of stopped processing, 06
// the processing control sheet and 07 an agency's dossier logbook, numbered
// as in the circular on the one-stop mechanism.
//
// The forms are pure functions of their data: the same data gives the same
// bytes (the PDF's creation date is the instant of the event the form is
// for, and nothing else in the file depends on the clock), so an issued
// form's SHA-256 identifies it. The text is set in Liberation Serif (the
// metrics of Times New Roman, which administrative documents use), embedded
// and subset by the PDF library so every reader shows the Vietnamese
// diacritics and the đồng sign. fonts/ holds the font files unmodified, as
// Debian's fonts-liberation2 ships them (SIL Open Font License 1.1, which
// allows embedding; a cut-down copy would have to be renamed), and their
// licence.
package forms

import (
	"bytes"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"time"

	"codeberg.org/go-pdf/fpdf"
	qrcode "github.com/skip2/go-qrcode"
	"golang.org/x/text/unicode/norm"

	"github.com/motcua/motcua/dossier"
)

var (
	//go:embed fonts/LiberationSerif-Regular.ttf
	fontRegular []byte
	//go:embed fonts/LiberationSerif-Bold.ttf
	fontBold []byte
)

const (
	family   = "LiberationSerif"
	pageW    = 210.0 // A4, millimetres
	margin   = 20.0
	textW    = pageW - 2*margin
	lineH    = 6.0
	bodySize = 11.0
)

// doc is a form being written: an fpdf document with the house layout.
type doc struct {
	pdf *fpdf.Fpdf
}

// newDoc starts a form whose creation date is at: the instant of the event
// the form is for, so the same form is the same bytes every time.
func newDoc(title string, at time.Time, landscape bool) *doc {
	orientation := "P"
	if landscape {
		orientation = "L"
	}
	pdf := fpdf.New(orientation, "mm", "A4", "")
	pdf.SetCatalogSort(true)
	pdf.SetCreationDate(at)
	pdf.SetModificationDate(at)
	pdf.SetTitle(clean(title), true)
	pdf.SetCreator("motcua", true)
	pdf.SetProducer("motcua", true)
	pdf.AddUTF8FontFromBytes(family, "", fontRegular)
	pdf.AddUTF8FontFromBytes(family, "B", fontBold)
	pdf.SetMargins(margin, margin, margin)
	pdf.SetAutoPageBreak(true, margin)
	pdf.AliasNbPages("")
	pdf.SetFooterFunc(func() {
		pdf.SetY(-12)
		pdf.SetFont(family, "", 8)
		pdf.CellFormat(0, 5, fmt.Sprintf("Trang %d/{nb}", pdf.PageNo()), "", 0, "C", false, 0, "")
	})
	pdf.AddPage()
	return &doc{pdf: pdf}
}

// clean puts text in the composed form (NFC) the font's glyphs cover: a
// name typed with combining marks prints like one typed precomposed.
func clean(s string) string { return norm.NFC.String(s) }

// width is the usable width of the page.
func (d *doc) width() float64 {
	w, _ := d.pdf.GetPageSize()
	l, _, r, _ := d.pdf.GetMargins()
	return w - l - r
}

// header writes the two-column heading every administrative form has: the
// issuing body on the left, the national motto on the right, then the
// number and the place and date.
func (d *doc) header(agency, number string, at time.Time) {
	p := d.pdf
	w := d.width()
	left, right := w*0.42, w*0.58
	x, y := p.GetX(), p.GetY()
	p.SetFont(family, "B", 10)
	p.MultiCell(left, 5, clean(strings.ToUpper(agency)), "", "C", false)
	p.SetFont(family, "", 10)
	p.MultiCell(left, 5, "BỘ PHẬN TIẾP NHẬN VÀ TRẢ KẾT QUẢ", "", "C", false)
	leftEnd := p.GetY()
	p.SetXY(x+left, y)
	p.SetFont(family, "B", 10)
	p.CellFormat(right, 5, "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM", "", 2, "C", false, 0, "")
	p.CellFormat(right, 5, "Độc lập - Tự do - Hạnh phúc", "", 2, "C", false, 0, "")
	p.SetY(max(leftEnd, p.GetY()) + 3)
	p.SetFont(family, "", 10)
	p.CellFormat(left, 5, clean("Số: "+number), "", 0, "L", false, 0, "")
	p.CellFormat(right, 5, "Ngày "+Date(at), "", 1, "C", false, 0, "")
	p.Ln(6)
}

// title writes the form's name, centred and bold, with a subtitle below.
func (d *doc) title(t, sub string) {
	d.pdf.SetFont(family, "B", 14)
	d.pdf.MultiCell(0, 7, clean(t), "", "C", false)
	if sub != "" {
		d.pdf.SetFont(family, "", 10)
		d.pdf.MultiCell(0, 5, clean(sub), "", "C", false)
	}
	d.pdf.Ln(4)
	d.pdf.SetFont(family, "", bodySize)
}

// para writes a paragraph of body text.
func (d *doc) para(s string) {
	d.pdf.SetFont(family, "", bodySize)
	d.pdf.MultiCell(0, lineH, clean(s), "", "J", false)
	d.pdf.Ln(1)
}

// field writes "label: value" with the label in bold.
func (d *doc) field(label, value string) {
	p := d.pdf
	p.SetFont(family, "B", bodySize)
	lw := p.GetStringWidth(clean(label)+": ") + 1
	p.CellFormat(lw, lineH, clean(label)+":", "", 0, "L", false, 0, "")
	p.SetFont(family, "", bodySize)
	p.MultiCell(0, lineH, clean(value), "", "L", false)
}

// list writes numbered items.
func (d *doc) list(items []string) {
	p := d.pdf
	p.SetFont(family, "", bodySize)
	for i, it := range items {
		p.SetX(margin + 5)
		p.CellFormat(8, lineH, strconv.Itoa(i+1)+".", "", 0, "L", false, 0, "")
		p.MultiCell(0, lineH, clean(it), "", "L", false)
	}
	p.Ln(1)
}

// table writes a bordered table with a bold header row. widths are in
// millimetres; rows wrap inside their cells.
func (d *doc) table(widths []float64, head []string, rows [][]string) {
	p := d.pdf
	const h = 5.0
	p.SetFont(family, "B", 9)
	d.row(widths, head, h, true)
	p.SetFont(family, "", 9)
	for _, r := range rows {
		d.row(widths, r, h, false)
	}
	p.Ln(2)
}

// row writes one table row, as tall as its tallest cell; a row that does
// not fit on the page starts a new one (and repeats nothing: the forms'
// tables are read top to bottom).
func (d *doc) row(widths []float64, cells []string, h float64, fill bool) {
	p := d.pdf
	lines := 1
	for i, c := range cells {
		if n := len(p.SplitText(clean(c), widths[i]-2)); n > lines {
			lines = n
		}
	}
	height := float64(lines) * h
	_, pageH := p.GetPageSize()
	if p.GetY()+height > pageH-margin {
		p.AddPage()
	}
	x, y := p.GetX(), p.GetY()
	if fill {
		p.SetFillColor(235, 235, 235)
	}
	for i, c := range cells {
		p.Rect(x, y, widths[i], height, map[bool]string{true: "FD", false: "D"}[fill])
		p.SetXY(x+1, y)
		p.MultiCell(widths[i]-2, h, clean(c), "", "L", false)
		x += widths[i]
		p.SetXY(x, y)
	}
	p.SetXY(margin, y+height)
}

// signature writes the signing block on the right: the role, a space to
// sign, and the name.
func (d *doc) signature(role, name string) {
	p := d.pdf
	w := d.width()
	p.Ln(6)
	x := margin + w*0.5
	p.SetX(x)
	p.SetFont(family, "B", bodySize)
	p.MultiCell(w*0.5, lineH, clean(role), "", "C", false)
	p.SetX(x)
	p.SetFont(family, "", 9)
	p.MultiCell(w*0.5, 5, "(Ký và ghi rõ họ tên)", "", "C", false)
	p.Ln(14)
	p.SetX(x)
	p.SetFont(family, "B", bodySize)
	p.MultiCell(w*0.5, lineH, clean(name), "", "C", false)
}

// qr places a QR code of content at the left edge of the current line,
// with a caption under it, and leaves the position where it was (the
// signature block goes on the right half of the same lines).
func (d *doc) qr(content, caption string) error {
	png, err := qrcode.Encode(content, qrcode.Medium, 256)
	if err != nil {
		return fmt.Errorf("forms: QR code: %w", err)
	}
	p := d.pdf
	name := "qr"
	p.RegisterImageOptionsReader(name, fpdf.ImageOptions{ImageType: "PNG"}, bytes.NewReader(png))
	const size = 32.0
	x := margin + 10
	y := p.GetY()
	p.ImageOptions(name, x, y, size, size, false, fpdf.ImageOptions{ImageType: "PNG"}, 0, "")
	p.SetXY(x-10, y+size)
	p.SetFont(family, "", 8)
	p.MultiCell(size+20, 4, clean(caption), "", "C", false)
	p.SetXY(margin, y)
	return nil
}

// bytes finishes the document.
func (d *doc) bytes() ([]byte, error) {
	var b bytes.Buffer
	if err := d.pdf.Output(&b); err != nil {
		return nil, fmt.Errorf("forms: writing the PDF: %w", err)
	}
	return b.Bytes(), nil
}

// Date is dd/MM/yyyy in local time (UTC+7), as the forms write dates.
func Date(t time.Time) string { return t.In(dossier.Location).Format("02/01/2006") }

// DateTime is "HH:mm ngày dd/MM/yyyy" in local time.
func DateTime(t time.Time) string {
	return t.In(dossier.Location).Format("15:04") + " ngày " + Date(t)
}

// optDateTime is DateTime, or a dash for no instant.
func optDateTime(t *time.Time) string {
	if t == nil || t.IsZero() {
		return "—"
	}
	return DateTime(*t)
}

// Money formats whole đồng the Vietnamese way: 200.000 ₫.
func Money(amount int64) string {
	neg := amount < 0
	if neg {
		amount = -amount
	}
	s := strconv.FormatInt(amount, 10)
	var b strings.Builder
	if neg {
		b.WriteByte('-')
	}
	for i, ch := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte('.')
		}
		b.WriteRune(ch)
	}
	return b.String() + " ₫"
}
