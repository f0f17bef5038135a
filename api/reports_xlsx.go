package api

import (
	"fmt"
	"net/http"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/motcua/motcua/store"
)

// The spreadsheet of form II.06a ("Tình hình, kết quả giải quyết thủ tục
// hành chính tại cơ quan, đơn vị trực tiếp giải quyết thủ tục hành chính",
// Circular 01/2018/TT-VPCP, kept by Circular 03/2025/TT-VPCP): the form's
// own thirteen columns and Vietnamese headings, one row per sector (or
// agency, procedure, channel, department), then the totals. A second sheet
// breaks the resolved dossiers down by ending, which the form does not.

// xlsxSheet is the form's sheet; xlsxEndings the breakdown by ending.
const (
	xlsxSheet   = "II.06a"
	xlsxEndings = "Kết thúc"
)

// xlsxRowHeading names the form's second column for each grouping.
var xlsxRowHeading = map[string]string{
	"sector":     "Lĩnh vực giải quyết",
	"agency":     "Cơ quan, đơn vị tiếp nhận",
	"procedure":  "Thủ tục hành chính",
	"channel":    "Hình thức tiếp nhận",
	"department": "Cơ quan, đơn vị giải quyết",
}

// reportSummaryXLSX serves GET /v1/reports/summary.xlsx: the summary's
// query, grouped by sector unless group_by says otherwise.
func (s *Server) reportSummaryXLSX(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("group_by") == "" {
		q := r.URL.Query()
		q.Set("group_by", "sector")
		r.URL.RawQuery = q.Encode()
	}
	q, rows, err := s.summaryRows(r)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	names := map[string]string{}
	if voc, err := s.store.ReportVocabulary(r.Context()); err == nil {
		names = voc.Sectors
	}
	f, err := reportWorkbook(q, rows, names)
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	defer f.Close()
	from, to := q.from.Format(time.DateOnly), q.to.Format(time.DateOnly)
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", fmt.Sprintf(`attachment; filename="II06a-%s-%s.xlsx"`, from, to))
	w.WriteHeader(http.StatusOK)
	_ = f.Write(w)
}

// reportWorkbook lays the rows out in the form; sectorNames names sector
// codes (the row shows "code – name").
func reportWorkbook(q summaryQuery, rows []store.ReportRow, sectorNames map[string]string) (*excelize.File, error) {
	f := excelize.NewFile()
	if err := f.SetSheetName("Sheet1", xlsxSheet); err != nil {
		return nil, err
	}
	if _, err := f.NewSheet(xlsxEndings); err != nil {
		return nil, err
	}
	border := []excelize.Border{{Type: "left", Color: "000000", Style: 1}, {Type: "top", Color: "000000", Style: 1},
		{Type: "right", Color: "000000", Style: 1}, {Type: "bottom", Color: "000000", Style: 1}}
	center := &excelize.Alignment{Horizontal: "center", Vertical: "center", WrapText: true}
	title, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true, Size: 13}, Alignment: center})
	if err != nil {
		return nil, err
	}
	head, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Alignment: center, Border: border})
	if err != nil {
		return nil, err
	}
	cell, err := f.NewStyle(&excelize.Style{Border: border})
	if err != nil {
		return nil, err
	}
	total, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}, Border: border})
	if err != nil {
		return nil, err
	}
	set := func(sheet string, col, row int, v any) error {
		name, err := excelize.CoordinatesToCellName(col, row)
		if err != nil {
			return err
		}
		return f.SetCellValue(sheet, name, v)
	}
	merge := func(sheet string, c1, r1, c2, r2 int, v any, style int) error {
		a, _ := excelize.CoordinatesToCellName(c1, r1)
		b, _ := excelize.CoordinatesToCellName(c2, r2)
		if a != b {
			if err := f.MergeCell(sheet, a, b); err != nil {
				return err
			}
		}
		if err := f.SetCellStyle(sheet, a, b, style); err != nil {
			return err
		}
		return f.SetCellValue(sheet, a, v)
	}
	period := fmt.Sprintf("Kỳ báo cáo: từ ngày %s đến ngày %s", q.from.Format("02/01/2006"), q.to.Format("02/01/2006"))
	scope := "Toàn bộ"
	switch {
	case q.filter.Department != "":
		scope = "Cơ quan, đơn vị giải quyết: " + q.filter.Department
	case q.filter.Agency != "":
		scope = "Cơ quan, đơn vị tiếp nhận: " + q.filter.Agency
	}
	// The form's header: rows 1–3 titles, 5–7 headings, 8 column numbers.
	type span struct {
		c1, r1, c2, r2 int
		text           string
	}
	heading := xlsxRowHeading[q.filter.GroupBy]
	for _, h := range []span{
		{1, 1, 13, 1, "TÌNH HÌNH, KẾT QUẢ GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH TẠI CƠ QUAN, ĐƠN VỊ TRỰC TIẾP GIẢI QUYẾT THỦ TỤC HÀNH CHÍNH"},
		{1, 2, 13, 2, period},
		{1, 3, 13, 3, scope},
	} {
		if err := merge(xlsxSheet, h.c1, h.r1, h.c2, h.r2, h.text, title); err != nil {
			return nil, err
		}
	}
	for _, h := range []span{
		{1, 5, 1, 7, "STT"},
		{2, 5, 2, 7, heading},
		{3, 5, 6, 5, "Số hồ sơ nhận giải quyết"},
		{3, 6, 3, 7, "Tổng số"},
		{4, 6, 4, 7, "Số kỳ trước chuyển qua"},
		{5, 6, 6, 6, "Số mới tiếp nhận"},
		{5, 7, 5, 7, "Trực tuyến"},
		{6, 7, 6, 7, "Trực tiếp và qua dịch vụ bưu chính"},
		{7, 5, 13, 5, "Kết quả giải quyết"},
		{7, 6, 10, 6, "Số hồ sơ đã giải quyết"},
		{7, 7, 7, 7, "Tổng số"},
		{8, 7, 8, 7, "Trả trước hạn"},
		{9, 7, 9, 7, "Trả đúng thời hạn"},
		{10, 7, 10, 7, "Trả quá hạn"},
		{11, 6, 13, 6, "Số hồ sơ đang giải quyết"},
		{11, 7, 11, 7, "Tổng số"},
		{12, 7, 12, 7, "Chưa đến hạn"},
		{13, 7, 13, 7, "Quá hạn"},
	} {
		if err := merge(xlsxSheet, h.c1, h.r1, h.c2, h.r2, h.text, head); err != nil {
			return nil, err
		}
	}
	for c := 1; c <= 13; c++ {
		if err := merge(xlsxSheet, c, 8, c, 8, fmt.Sprintf("(%d)", c), head); err != nil {
			return nil, err
		}
	}
	for i, h := range []string{"STT", heading, "Đã giải quyết", "Có kết quả", "Từ chối", "Rút hồ sơ", "Dừng xử lý"} {
		if err := merge(xlsxEndings, i+1, 1, i+1, 1, h, head); err != nil {
			return nil, err
		}
	}
	label := func(key string) string {
		if name := sectorNames[key]; q.filter.GroupBy == "sector" && name != "" {
			return key + " – " + name
		}
		if key == "" {
			return "(không xác định)"
		}
		return key
	}
	write := func(n, row int, name any, fig store.ReportFigures, style int) error {
		vals := []any{name,
			fig.Received.CarriedOver + fig.Received.New, fig.Received.CarriedOver, fig.Received.Online,
			fig.Received.Counter + fig.Received.Postal,
			fig.Resolved.Total, fig.Resolved.Early, fig.Resolved.OnTime, fig.Resolved.Late,
			fig.Pending.Total, fig.Pending.NotDue, fig.Pending.Overdue}
		ends := []any{name, fig.Resolved.Total, fig.Resolved.Result, fig.Resolved.Refused, fig.Resolved.Withdrawn, fig.Resolved.Stopped}
		var stt any = n
		if n == 0 {
			stt = ""
		}
		for sheet, vs := range map[string][]any{xlsxSheet: vals, xlsxEndings: ends} {
			r := row
			if sheet == xlsxEndings {
				r = row - 7
			}
			if err := set(sheet, 1, r, stt); err != nil {
				return err
			}
			for c, v := range vs {
				if err := set(sheet, c+2, r, v); err != nil {
					return err
				}
			}
			a, _ := excelize.CoordinatesToCellName(1, r)
			b, _ := excelize.CoordinatesToCellName(len(vs)+1, r)
			if err := f.SetCellStyle(sheet, a, b, style); err != nil {
				return err
			}
		}
		return nil
	}
	var sum store.ReportFigures
	row := 9
	for i, r := range rows {
		if err := write(i+1, row, label(r.Key), r.ReportFigures, cell); err != nil {
			return nil, err
		}
		sum.Add(r.ReportFigures)
		row++
	}
	if err := write(0, row, "Tổng cộng", sum, total); err != nil {
		return nil, err
	}
	if err := f.SetColWidth(xlsxSheet, "B", "B", 40); err != nil {
		return nil, err
	}
	if err := f.SetColWidth(xlsxSheet, "C", "M", 13); err != nil {
		return nil, err
	}
	if err := f.SetColWidth(xlsxEndings, "B", "B", 40); err != nil {
		return nil, err
	}
	return f, nil
}
