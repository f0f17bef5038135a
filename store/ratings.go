package store

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/motcua/motcua/dossier"
)

// Rating is an applicant's satisfaction rating of a dossier.
type Rating struct {
	DossierCode    string
	Level          string
	Reasons        []string
	ReasonsVersion int
	Comment        string
	RatedAt        time.Time
	// AgencyCode and ProcedureCode are the dossier's, copied when rated.
	AgencyCode, ProcedureCode string
}

// ErrAlreadyRated: a dossier is rated once.
var ErrAlreadyRated = dossier.Errorf(dossier.EConflict, "this dossier has been rated already; a dossier is rated once")

// ErrNotEnded: a dossier is rated after it ended.
var ErrNotEnded = dossier.Errorf(dossier.EConflict,
	"this dossier has not ended yet: it can be rated once its result is returned (or it ends otherwise)")

// finalStatuses are the statuses a dossier ends in (dossier.Status.Final).
func finalStatuses() []string {
	return []string{string(dossier.StatusRefused), string(dossier.StatusDeclined), string(dossier.StatusWithdrawn),
		string(dossier.StatusStopped), string(dossier.StatusReturned)}
}

// RecordRating stores r for a dossier that has ended, once: ErrNotEnded
// while it runs, ErrAlreadyRated the second time (one statement, so two
// ratings at once cannot both win).
func (s *Store) RecordRating(ctx context.Context, r Rating) error {
	var comment *string
	if r.Comment != "" {
		comment = &r.Comment
	}
	reasons := r.Reasons
	if reasons == nil {
		reasons = []string{}
	}
	var ended, rated bool
	err := s.pool.QueryRow(ctx, `
		WITH d AS (SELECT code, agency_code, procedure_code, status = ANY($7) AS ended FROM dossiers WHERE code = $1),
		ins AS (
			INSERT INTO ratings (dossier_code, level, reasons, reasons_version, comment, rated_at, agency_code, procedure_code)
			SELECT code, $2, $3, $4, $5, $6, agency_code, procedure_code FROM d WHERE ended
			ON CONFLICT (dossier_code) DO NOTHING
			RETURNING 1)
		SELECT coalesce((SELECT ended FROM d), false), EXISTS (SELECT FROM ins)`,
		r.DossierCode, r.Level, reasons, r.ReasonsVersion, comment, r.RatedAt, finalStatuses()).Scan(&ended, &rated)
	switch {
	case err != nil:
		return err
	case !ended:
		return ErrNotEnded
	case !rated:
		return ErrAlreadyRated
	}
	return nil
}

// RatingOf is the rating of dossier code (ok false: none yet).
func (s *Store) RatingOf(ctx context.Context, code string) (r Rating, ok bool, err error) {
	var comment *string
	err = s.pool.QueryRow(ctx, `
		SELECT dossier_code, level, reasons, reasons_version, comment, rated_at, agency_code, procedure_code
		FROM ratings WHERE dossier_code = $1`, code).Scan(&r.DossierCode, &r.Level, &r.Reasons, &r.ReasonsVersion,
		&comment, &r.RatedAt, &r.AgencyCode, &r.ProcedureCode)
	if errors.Is(err, pgx.ErrNoRows) {
		return Rating{}, false, nil
	}
	if comment != nil {
		r.Comment = *comment
	}
	return r, err == nil, err
}

// RatingGroupings are the values of RatingFilter.GroupBy besides "".
var RatingGroupings = []string{"agency", "department", "procedure", "month"}

// RatingFilter selects the ratings given in [Start, End).
type RatingFilter struct {
	Start, End                    time.Time
	Agency, Procedure, Department string
	// GroupBy is "" (one row) or one of RatingGroupings. By department, a
	// rating counts for every department that had a step of its dossier.
	GroupBy string
}

// RatingRow is the ratings of one group.
type RatingRow struct {
	// Key is the group's agency, department or procedure code, or its
	// month (YYYY-MM, Vietnam time); "" ungrouped.
	Key                                  string
	Total, VerySatisfied, Satisfied, Not int64
	// Reasons counts the not-satisfied ratings naming each reason.
	Reasons map[string]int64
}

// SatisfactionRate is the share of very satisfied and satisfied ratings
// (nil without ratings).
func (r RatingRow) SatisfactionRate() *float64 {
	if r.Total == 0 {
		return nil
	}
	p := float64(r.VerySatisfied+r.Satisfied) / float64(r.Total)
	return &p
}

// RatingReport counts the ratings f selects, by f.GroupBy, ordered by key.
// Ungrouped, it is one row even without ratings.
func (s *Store) RatingReport(ctx context.Context, f RatingFilter) ([]RatingRow, error) {
	key := `''`
	from := `ratings r`
	switch f.GroupBy {
	case "agency":
		key = `r.agency_code`
	case "procedure":
		key = `r.procedure_code`
	case "month":
		key = `to_char(r.rated_at AT TIME ZONE 'Asia/Ho_Chi_Minh', 'YYYY-MM')`
	case "department":
		key = `st.department`
		from = `ratings r JOIN (SELECT DISTINCT dossier_code, department FROM dossier_steps) st ON st.dossier_code = r.dossier_code`
	case "":
	default:
		return nil, fmt.Errorf("rating report: no grouping %q", f.GroupBy)
	}
	where := `r.rated_at >= $1 AND r.rated_at < $2 AND ($3 = '' OR r.agency_code = $3) AND ($4 = '' OR r.procedure_code = $4)
		AND ($5 = '' OR EXISTS (SELECT FROM dossier_steps ds WHERE ds.dossier_code = r.dossier_code AND ds.department = $5))`
	if f.GroupBy == "department" {
		where += ` AND ($5 = '' OR st.department = $5)`
	}
	args := []any{f.Start, f.End, f.Agency, f.Procedure, f.Department}
	rows, err := s.pool.Query(ctx, `
		SELECT `+key+` AS k, count(*), count(*) FILTER (WHERE r.level = 'very_satisfied'),
			count(*) FILTER (WHERE r.level = 'satisfied'), count(*) FILTER (WHERE r.level = 'not_satisfied')
		FROM `+from+` WHERE `+where+` GROUP BY k ORDER BY k`, args...)
	if err != nil {
		return nil, err
	}
	var out []RatingRow
	index := map[string]int{}
	for rows.Next() {
		var r RatingRow
		if err := rows.Scan(&r.Key, &r.Total, &r.VerySatisfied, &r.Satisfied, &r.Not); err != nil {
			rows.Close()
			return nil, err
		}
		r.Reasons = map[string]int64{}
		index[r.Key] = len(out)
		out = append(out, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = s.pool.Query(ctx, `
		SELECT `+key+` AS k, reason, count(*)
		FROM `+from+`, unnest(r.reasons) AS reason WHERE `+where+` GROUP BY k, reason`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k, reason string
		var n int64
		if err := rows.Scan(&k, &reason, &n); err != nil {
			return nil, err
		}
		if i, ok := index[k]; ok {
			out[i].Reasons[reason] = n
		}
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	if f.GroupBy == "" && len(out) == 0 {
		out = []RatingRow{{Reasons: map[string]int64{}}}
	}
	return out, nil
}
