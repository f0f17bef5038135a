package console

import (
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"
)

// The satisfaction rating on /track (issue 19 §2) and its chart on the
// reports page, beside the on-time chart. Both call the API: the page
// posts the rating to POST /v1/public/dossiers/{code}/rating with the key
// the applicant typed, and the chart reads GET /v1/reports/ratings.

func init() {
	for k, v := range ratingMessages {
		messages[k] = v
	}
}

var ratingMessages = map[string][2]string{
	"rating_title":          {"Đánh giá mức độ hài lòng", "Rate the service"},
	"rating_intro":          {"Hồ sơ đã kết thúc. Mời ông/bà đánh giá việc giải quyết hồ sơ (một lần).", "Your dossier has ended. Please rate how it was handled (once)."},
	"rating_reasons":        {"Lý do không hài lòng", "Why not satisfied"},
	"rating_comment":        {"Ý kiến khác (tối đa 1000 ký tự)", "Anything else (at most 1000 characters)"},
	"rating_submit":         {"Gửi đánh giá", "Send the rating"},
	"rating_thanks":         {"Cảm ơn ông/bà đã đánh giá.", "Thank you for your rating."},
	"rating_given":          {"Đánh giá của ông/bà", "Your rating"},
	"level.very_satisfied":  {"Rất hài lòng", "Very satisfied"},
	"level.satisfied":       {"Hài lòng", "Satisfied"},
	"level.not_satisfied":   {"Không hài lòng", "Not satisfied"},
	"rating_rate":           {"Tỷ lệ hài lòng theo tháng, năm", "Monthly satisfaction rate,"},
	"ratings_count":         {"Số lượt đánh giá", "Ratings"},
	"satisfaction_rate":     {"Tỷ lệ hài lòng", "Satisfaction rate"},
	"ratings_csv":           {"Tải đánh giá (CSV)", "Download the ratings (CSV)"},
	"rating.not_configured": {"Không tải được danh sách lý do.", "The reasons could not be loaded."},
}

// ratingView is a rating as the public API shows it.
type ratingView struct {
	Level   string    `json:"level"`
	Reasons []string  `json:"reasons"`
	Comment *string   `json:"comment"`
	RatedAt time.Time `json:"rated_at"`
}

// ratingForm is what the tracking page needs to offer the rating.
type ratingForm struct {
	Levels []struct {
		Code  string `json:"code"`
		Label string `json:"label"`
	} `json:"levels"`
	Reasons []struct {
		Code  string `json:"code"`
		Label string `json:"label"`
	} `json:"reasons"`
	MaxComment int `json:"max_comment"`
}

// offerRating fills what the tracking page shows of the rating: the form
// while the dossier may be rated (the key goes into it as a hidden field of
// this never-cached answer, as for the download), or the rating given.
func (c *Console) offerRating(r *http.Request, data *trackData, key string) {
	if data.D == nil || !data.D.Rateable {
		return
	}
	var f ratingForm
	if _, err := c.call(r, "", http.MethodGet, "/v1/public/rating-reasons", nil, &f); err != nil {
		return
	}
	data.RatingForm = &f
	data.Key = key
}

// trackRating posts the applicant's rating to the public API, then shows
// the dossier again (with the rating, or the API's reason it was refused).
func (c *Console) trackRating(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		c.render(w, r, http.StatusBadRequest, "track", "track_title", trackData{}, "", err.Error())
		return
	}
	code := strings.TrimSpace(r.PostForm.Get("code"))
	key := r.PostForm.Get("key")
	body := map[string]any{"lookup_key": key, "level": r.PostForm.Get("level")}
	if rs := r.PostForm["reasons"]; len(rs) > 0 {
		body["reasons"] = rs
	}
	if cm := r.PostForm.Get("comment"); strings.TrimSpace(cm) != "" {
		body["comment"] = cm
	}
	_, err := c.call(r, "", http.MethodPost, "/v1/public/dossiers/"+url.PathEscape(code)+"/rating", body, nil)
	status, failed := http.StatusOK, ""
	if err != nil {
		status = http.StatusBadGateway
		var p *problem
		if errors.As(err, &p) {
			status = p.Status
		}
		failed = c.failure(r, err)
	}
	data, lerr := c.lookUp(r, code, key)
	if lerr != nil && failed == "" {
		status, failed = http.StatusBadGateway, c.failure(r, lerr)
	}
	data.Rated = err == nil
	c.render(w, r, status, "track", "track_title", data, "", failed)
}

// ratingChart is the monthly satisfaction rate of a year as bars, laid out
// like the on-time chart (monthlyChart); months without ratings are empty.
func ratingChart(year int, items []ratingFiguresView, l lang) (chart, []ratingMonth) {
	byMonth := map[string]ratingFiguresView{}
	for _, it := range items {
		byMonth[it.Key] = it
	}
	m := monthlyView{Year: year}
	var months []ratingMonth
	for i := 1; i <= 12; i++ {
		key := fmt.Sprintf("%04d-%02d", year, i)
		f := byMonth[key]
		var mv monthView
		mv.Month, mv.OnTimeRate = key, f.SatisfactionRate
		m.Items = append(m.Items, mv)
		months = append(months, ratingMonth{Month: key[5:], Total: f.Total, Rate: f.SatisfactionRate})
	}
	return monthlyChart(m, l), months
}

// monthView is an item of monthlyView.
type monthView = struct {
	Month string `json:"month"`
	figuresView
}

// ratingFiguresView is one group of GET /v1/reports/ratings.
type ratingFiguresView struct {
	Key              string   `json:"key"`
	Total            int64    `json:"total"`
	SatisfactionRate *float64 `json:"satisfaction_rate"`
}

// ratingMonth is a column of the satisfaction chart's table.
type ratingMonth struct {
	Month string
	Total int64
	Rate  *float64
}

// ratingsSection fills the reports page's satisfaction chart for the year
// of the period, with the page's agency filter (the API narrows staff to
// their own agency or department).
func (c *Console) ratingsSection(r *http.Request, data *reportsData, year string, agency string) error {
	q := url.Values{"from": {year + "-01-01"}, "to": {year + "-12-31"}, "group_by": {"month"}}
	if agency != "" {
		q.Set("agency", agency)
	}
	var got struct {
		Items []ratingFiguresView `json:"items"`
	}
	if err := c.get(r, "/v1/reports/ratings?"+q.Encode(), &got); err != nil {
		return err
	}
	var y int
	_, _ = fmt.Sscan(year, &y)
	data.RatingYear = y
	data.RatingChart, data.RatingMonths = ratingChart(y, got.Items, c.lang(r))
	q.Del("group_by")
	data.RatingsCSV = "/console/reports/ratings.csv?" + q.Encode()
	return nil
}

func (c *Console) ratingsCSV(w http.ResponseWriter, r *http.Request) {
	in := r.URL.Query()
	q := url.Values{}
	for _, k := range []string{"from", "to", "agency", "procedure", "department", "group_by"} {
		if v := in.Get(k); v != "" {
			q.Set(k, v)
		}
	}
	rec, err := c.call(r, sessionOf(r).token, http.MethodGet, "/v1/reports/ratings.csv?"+q.Encode(), nil, nil)
	if err != nil {
		c.errorPage(w, r, http.StatusUnprocessableEntity, c.failure(r, err))
		return
	}
	for _, h := range []string{"Content-Type", "Content-Disposition"} {
		w.Header().Set(h, rec.header.Get(h))
	}
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(rec.body.Bytes())
}
