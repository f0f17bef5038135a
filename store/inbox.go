package store

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode"

	"golang.org/x/text/unicode/norm"

	"github.com/motcua/motcua/dossier"
)

// SearchName is the form of an applicant's name the inbox searches:
// lowercase, without diacritics (đ becomes d), spaces collapsed, so that
// "nguyen van a" finds "Nguyễn Văn A". Migration 00005's motcua_search_name
// is the same rule in SQL (for precomposed text); a test keeps them equal.
func SearchName(s string) string {
	var b strings.Builder
	for _, r := range norm.NFD.String(s) {
		switch {
		case unicode.Is(unicode.Mn, r):
			continue
		case r == 'đ' || r == 'Đ':
			r = 'd'
		}
		b.WriteRune(unicode.ToLower(r))
	}
	return strings.Join(strings.Fields(b.String()), " ")
}

// InboxMaxLimit bounds a page of the inbox.
const InboxMaxLimit = 200

// InboxFilter selects dossiers for the reviewer inbox. Empty fields do not
// filter.
type InboxFilter struct {
	Status     dossier.Status
	Stage      dossier.Stage
	Agency     string
	Department string // a department of the current step
	Procedure  string
	Channel    dossier.Channel
	Overdue    *bool
	DueBefore  *time.Time // the current step is due before
	Query      string     // a code prefix, or part of the applicant's name
	// Involves limits the list to dossiers an agency works on: received
	// by it, or waiting in a step of its (staff see only these).
	Involves string
	// SubmittedBy limits the list to one submitter's dossiers (portals).
	SubmittedBy string
	Limit       int // 1..InboxMaxLimit
	After       *InboxCursor
}

// InboxCursor is the sort key of the last row of a page: the current
// step's due time (nil sorts last), then the code.
type InboxCursor struct {
	DueAt *time.Time `json:"d"`
	Code  string     `json:"c"`
}

// Encode makes the cursor opaque to clients.
func (c InboxCursor) Encode() string {
	raw, _ := json.Marshal(c)
	return base64.RawURLEncoding.EncodeToString(raw)
}

// DecodeInboxCursor reads a cursor Encode made; anything else is EInvalid.
func DecodeInboxCursor(s string) (*InboxCursor, error) {
	bad := &dossier.Error{Code: dossier.EInvalid, Message: "cursor is not valid: pass the next_cursor of a previous page unchanged",
		Fields: []dossier.FieldError{{Field: "cursor", Reason: "is not a cursor this list returned"}}}
	raw, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(raw) > 1000 {
		return nil, bad
	}
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	var c InboxCursor
	if err := dec.Decode(&c); err != nil || c.Code == "" || dec.More() {
		return nil, bad
	}
	return &c, nil
}

// likeEscape escapes LIKE's wildcards in s.
func likeEscape(s string) string {
	return strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`).Replace(s)
}

// Inbox lists dossiers for reviewers, sorted by the current step's due time
// (dossiers without a current step last), then by code; one page of at most
// f.Limit rows, and the cursor of the next page (nil on the last one).
func (s *Store) Inbox(ctx context.Context, f InboxFilter) ([]Dossier, *InboxCursor, error) {
	if f.Limit < 1 || f.Limit > InboxMaxLimit {
		return nil, nil, fmt.Errorf("store: inbox limit %d out of range", f.Limit)
	}
	var where []string
	var args []any
	arg := func(v any) string {
		args = append(args, v)
		return fmt.Sprintf("$%d", len(args))
	}
	if f.Status != "" {
		where = append(where, "status = "+arg(f.Status))
	}
	if f.Stage != "" {
		where = append(where, "stage = "+arg(f.Stage))
	}
	if f.Agency != "" {
		where = append(where, "agency_code = "+arg(f.Agency))
	}
	if f.Department != "" {
		dept, _ := json.Marshal([]string{f.Department})
		where = append(where, "(current_step -> 'departments') @> "+arg(string(dept))+"::jsonb")
	}
	if f.Involves != "" {
		dept, _ := json.Marshal([]string{f.Involves})
		where = append(where, "(agency_code = "+arg(f.Involves)+" OR (current_step -> 'departments') @> "+arg(string(dept))+"::jsonb)")
	}
	if f.SubmittedBy != "" {
		where = append(where, "submitted_by = "+arg(f.SubmittedBy))
	}
	if f.Procedure != "" {
		where = append(where, "procedure_code = "+arg(f.Procedure))
	}
	if f.Channel != "" {
		where = append(where, "channel = "+arg(f.Channel))
	}
	if f.Overdue != nil {
		where = append(where, "overdue = "+arg(*f.Overdue))
	}
	if f.DueBefore != nil {
		where = append(where, "due_at < "+arg(*f.DueBefore))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		code := arg(likeEscape(q) + "%")
		name := arg("%" + likeEscape(SearchName(q)) + "%")
		where = append(where, "(code LIKE "+code+" OR search_name LIKE "+name+")")
	}
	if c := f.After; c != nil {
		if c.DueAt == nil {
			where = append(where, "(due_at IS NULL AND code > "+arg(c.Code)+")")
		} else {
			d, code := arg(*c.DueAt), arg(c.Code)
			where = append(where, "(due_at > "+d+" OR (due_at = "+d+" AND code > "+code+") OR due_at IS NULL)")
		}
	}
	sql := `SELECT ` + dossierColumns + `, due_at FROM dossiers`
	if len(where) > 0 {
		sql += " WHERE " + strings.Join(where, " AND ")
	}
	sql += " ORDER BY due_at ASC NULLS LAST, code ASC LIMIT " + arg(f.Limit+1)
	rows, err := s.pool.Query(ctx, sql, args...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	var out []Dossier
	var keys []InboxCursor
	for rows.Next() {
		var due *time.Time
		d, err := scanDossierWith(rows, &due)
		if err != nil {
			return nil, nil, err
		}
		out = append(out, d)
		keys = append(keys, InboxCursor{DueAt: due, Code: d.Code})
	}
	if err := rows.Err(); err != nil {
		return nil, nil, err
	}
	if len(out) <= f.Limit {
		if out == nil {
			out = []Dossier{}
		}
		return out, nil, nil
	}
	next := keys[f.Limit-1]
	return out[:f.Limit], &next, nil
}

// extraScan lets scanDossierWith read columns after dossierColumns.
type extraScan struct {
	row   interface{ Scan(...any) error }
	extra []any
}

func (e extraScan) Scan(dest ...any) error { return e.row.Scan(append(dest, e.extra...)...) }

// scanDossierWith scans dossierColumns followed by the extra columns.
func scanDossierWith(row interface{ Scan(...any) error }, extra ...any) (Dossier, error) {
	return scanDossier(extraScan{row: row, extra: extra})
}
