package store

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/dossier"
)

// ImportCatalog stores the agencies and procedures of a catalog file. A
// procedure whose content differs from its latest stored version gets a new
// version; an unchanged one gets none, so importing the same file twice
// changes nothing. It returns how many procedure versions were added.
func (s *Store) ImportCatalog(ctx context.Context, c *catalog.Catalog) (int, error) {
	added := 0
	err := pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		for _, a := range c.Agencies {
			var windows, periods []byte
			if len(a.Windows) > 0 {
				windows, _ = json.Marshal(a.Windows)
			}
			if len(a.Periods) > 0 {
				periods, _ = json.Marshal(a.Periods)
			}
			if _, err := tx.Exec(ctx, `
				INSERT INTO agencies (code, name, kind, windows, periods) VALUES ($1, $2, $3, $4, $5)
				ON CONFLICT (code) DO UPDATE SET name = EXCLUDED.name, kind = EXCLUDED.kind, windows = EXCLUDED.windows,
					periods = EXCLUDED.periods`,
				a.Code, a.Name, a.Kind, windows, periods); err != nil {
				return err
			}
		}
		for _, p := range c.Procedures {
			// The version is the store's to give; the effective date is a
			// column: the content alone decides whether a version is new.
			effective := p.EffectiveFrom
			p.Version, p.EffectiveFrom = 0, nil
			doc, err := json.Marshal(p)
			if err != nil {
				return err
			}
			var latest []byte
			var version int
			err = tx.QueryRow(ctx, `
				SELECT document, version FROM procedure_versions
				WHERE code = $1 ORDER BY version DESC LIMIT 1 FOR UPDATE`, p.Code).Scan(&latest, &version)
			if err != nil && err != pgx.ErrNoRows {
				return err
			}
			if err == nil && sameJSON(latest, doc) {
				continue
			}
			if _, err := tx.Exec(ctx, `
				INSERT INTO procedure_versions (code, version, document, effective_from)
				VALUES ($1, $2, $3, coalesce($4, now()))`,
				p.Code, version+1, doc, effective); err != nil {
				return err
			}
			added++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("store: import catalog: %w", err)
	}
	return added, nil
}

// sameJSON compares two JSON documents by content: jsonb normalises key
// order and spacing, so compare them normalised the same way.
func sameJSON(a, b []byte) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	ja, _ := json.Marshal(x)
	jb, _ := json.Marshal(y)
	return bytes.Equal(ja, jb)
}

// Procedures returns the latest version of every procedure, by code.
func (s *Store) Procedures(ctx context.Context) ([]catalog.Procedure, error) {
	rows, err := s.pool.Query(ctx, `
		SELECT DISTINCT ON (code) document, version, effective_from FROM procedure_versions
		WHERE effective_from <= now()
		ORDER BY code, effective_from DESC, version DESC`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []catalog.Procedure
	for rows.Next() {
		var doc []byte
		var v int
		var from time.Time
		if err := rows.Scan(&doc, &v, &from); err != nil {
			return nil, err
		}
		var p catalog.Procedure
		if err := json.Unmarshal(doc, &p); err != nil {
			return nil, err
		}
		p.Version, p.EffectiveFrom = v, &from
		out = append(out, p)
	}
	return out, rows.Err()
}

// Procedure returns the version of one procedure in effect now (the latest
// version whose effective date has come); ENotFound if there is none.
func (s *Store) Procedure(ctx context.Context, code string) (catalog.Procedure, error) {
	var doc []byte
	var v int
	var from time.Time
	err := s.pool.QueryRow(ctx, `
		SELECT document, version, effective_from FROM procedure_versions
		WHERE code = $1 AND effective_from <= now()
		ORDER BY effective_from DESC, version DESC LIMIT 1`, code).Scan(&doc, &v, &from)
	if err != nil {
		return catalog.Procedure{}, notFound(err, "procedure %s is not in the catalog", code)
	}
	var p catalog.Procedure
	if err := json.Unmarshal(doc, &p); err != nil {
		return catalog.Procedure{}, err
	}
	p.Version, p.EffectiveFrom = v, &from
	return p, nil
}

// CalendarDay is one entry of the official table of days off and make-up
// working days.
type CalendarDay struct {
	Day        time.Time // local midnight, Asia/Ho_Chi_Minh
	Kind       string    // day_off | make_up
	Name       string
	YearStatus string // official | projected
}

// ReplaceCalendarYear replaces the table's entries of one year. Dates
// already given to applicants are not touched: they live in the dossiers.
func (s *Store) ReplaceCalendarYear(ctx context.Context, year int, days []CalendarDay) error {
	return pgx.BeginFunc(ctx, s.pool, func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM calendar_days WHERE extract(year FROM day) = $1`, year); err != nil {
			return err
		}
		for _, d := range days {
			if d.Day.Year() != year {
				return dossier.Errorf(dossier.EInvalid, "calendar day %s is not in year %d", d.Day.Format(time.DateOnly), year)
			}
			if _, err := tx.Exec(ctx, `
				INSERT INTO calendar_days (day, kind, name, year_status) VALUES ($1, $2, $3, $4)`,
				d.Day.Format(time.DateOnly), d.Kind, d.Name, d.YearStatus); err != nil {
				return err
			}
		}
		return nil
	})
}

// CalendarDays returns the whole table, oldest first.
func (s *Store) CalendarDays(ctx context.Context) ([]CalendarDay, error) {
	rows, err := s.pool.Query(ctx, `SELECT to_char(day, 'YYYY-MM-DD'), kind, name, year_status FROM calendar_days ORDER BY day`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CalendarDay
	for rows.Next() {
		var day string
		var d CalendarDay
		if err := rows.Scan(&day, &d.Kind, &d.Name, &d.YearStatus); err != nil {
			return nil, err
		}
		t, err := time.ParseInLocation(time.DateOnly, day, dossier.Location)
		if err != nil {
			return nil, err
		}
		d.Day = t
		out = append(out, d)
	}
	return out, rows.Err()
}

// ProcedureVersion returns one version of a procedure: the one a dossier
// was received under.
func (s *Store) ProcedureVersion(ctx context.Context, code string, version int) (catalog.Procedure, error) {
	var doc []byte
	err := s.pool.QueryRow(ctx, `SELECT document FROM procedure_versions WHERE code = $1 AND version = $2`,
		code, version).Scan(&doc)
	if err != nil {
		return catalog.Procedure{}, notFound(err, "procedure %s has no version %d", code, version)
	}
	var p catalog.Procedure
	if err := json.Unmarshal(doc, &p); err != nil {
		return catalog.Procedure{}, err
	}
	p.Version = version
	return p, nil
}

// ImportHolidays replaces, year by year, the table's entries for every year
// the given table lists. Pending entries are informational and not stored.
func (s *Store) ImportHolidays(ctx context.Context, table *calendar.Table) error {
	for _, y := range table.Years() {
		var days []CalendarDay
		for _, d := range y.DaysOff {
			days = append(days, CalendarDay{Day: d.Date.Midnight(), Kind: "day_off", Name: d.Name, YearStatus: y.Status})
		}
		for _, d := range y.MakeUpDays {
			days = append(days, CalendarDay{Day: d.Date.Midnight(), Kind: "make_up", Name: d.Name, YearStatus: y.Status})
		}
		if err := s.ReplaceCalendarYear(ctx, y.Year, days); err != nil {
			return fmt.Errorf("store: import holidays %d: %w", y.Year, err)
		}
	}
	return nil
}

// AgencyPeriods returns an agency's office hours by date range as written
// in the catalog; none for an agency without or unknown.
func (s *Store) AgencyPeriods(ctx context.Context, code string) ([]catalog.AgencyPeriod, error) {
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT periods FROM agencies WHERE code = $1`, code).Scan(&raw)
	if err == pgx.ErrNoRows || (err == nil && raw == nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []catalog.AgencyPeriod
	return out, json.Unmarshal(raw, &out)
}

// AgencyWindows returns an agency's office hours as written in the catalog
// ("07:30-11:30"); none for an agency on the default hours or unknown.
func (s *Store) AgencyWindows(ctx context.Context, code string) ([]string, error) {
	var raw []byte
	err := s.pool.QueryRow(ctx, `SELECT windows FROM agencies WHERE code = $1`, code).Scan(&raw)
	if err == pgx.ErrNoRows || (err == nil && raw == nil) {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	var out []string
	return out, json.Unmarshal(raw, &out)
}
