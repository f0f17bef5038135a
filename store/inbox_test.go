package store_test

import (
	"context"
	"os"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
	"github.com/pressly/goose/v3"
	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// openWithSQL is a fresh store and a plain connection to its database.
func openWithSQL(t *testing.T) (*store.Store, *pgx.Conn) {
	t.Helper()
	url := testenv.NewDatabase(t)
	s, err := store.Open(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(s.Close)
	conn, err := pgx.Connect(context.Background(), url)
	require.NoError(t, err)
	t.Cleanup(func() { _ = conn.Close(context.Background()) })
	return s, conn
}

func TestSearchName(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]string{
		"Nguyễn Văn A":        "nguyen van a",
		"  ĐẶNG   Thị  Ánh  ": "dang thi anh",
		"Trương Hữu Đức":      "truong huu duc",
		"Phạm Thị Bích Ngọc":  "pham thi bich ngoc",
		"Nguye\u0302\u0303n":  "nguyen", // decomposed (NFD) input
		"Công ty TNHH ABC":    "cong ty tnhh abc",
	} {
		require.Equal(t, want, store.SearchName(in), in)
	}
}

// The SQL function migration 00005 backfills with must agree with Go.
func TestSearchNameSQLMatchesGo(t *testing.T) {
	t.Parallel()
	_, conn := openWithSQL(t)
	letters := "àáảãạăằắẳẵặâầấẩẫậèéẻẽẹêềếểễệìíỉĩịòóỏõọôồốổỗộơờớởỡợùúủũụưừứửữựỳýỷỹỵđ"
	inputs := []string{letters, "  Nguyễn   Văn A ", "ĐẶNG THỊ ÁNH", "Trương Hữu Đức", "Công ty TNHH Xây dựng Số 1"}
	upper := []rune{}
	for _, r := range letters {
		upper = append(upper, []rune(string(r))...)
	}
	inputs = append(inputs, string(upper))
	for _, in := range inputs {
		var got string
		require.NoError(t, conn.QueryRow(context.Background(), `SELECT motcua_search_name($1)`, in).Scan(&got))
		require.Equal(t, store.SearchName(in), got, in)
	}
	// And for every capital letter.
	var got string
	caps := "ÀÁẢÃẠĂẰẮẲẴẶÂẦẤẨẪẬÈÉẺẼẸÊỀẾỂỄỆÌÍỈĨỊÒÓỎÕỌÔỒỐỔỖỘƠỜỚỞỠỢÙÚỦŨỤƯỪỨỬỮỰỲÝỶỸỴĐ"
	require.NoError(t, conn.QueryRow(context.Background(), `SELECT motcua_search_name($1)`, caps).Scan(&got))
	require.Equal(t, store.SearchName(caps), got)
}

func TestInboxCursorRoundTrip(t *testing.T) {
	t.Parallel()
	due := time.Date(2026, 12, 1, 9, 30, 0, 123000, dossier.Location)
	for _, c := range []store.InboxCursor{{DueAt: &due, Code: "X-1"}, {Code: "X-2"}} {
		got, err := store.DecodeInboxCursor(c.Encode())
		require.NoError(t, err)
		require.Equal(t, c.Code, got.Code)
		if c.DueAt == nil {
			require.Nil(t, got.DueAt)
		} else {
			require.True(t, c.DueAt.Equal(*got.DueAt))
		}
	}
	for _, bad := range []string{"!!", "e30", "bm90IGpzb24", "eyJjIjoiIn0", "eyJjIjoiYSIsIngiOjF9"} {
		_, err := store.DecodeInboxCursor(bad)
		require.Equal(t, dossier.EInvalid, dossier.ErrorCodeOf(err), bad)
	}
}

func TestInbox(t *testing.T) {
	t.Parallel()
	s, conn := openWithSQL(t)
	ctx := context.Background()
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, dossier.Location)
	names := []string{"Nguyễn Văn A", "Trần Thị Bích", "Lê Văn Đức", "Nguyễn Văn Anh", "Phạm Thị Dung"}
	codes := make([]string, len(names))
	for i, n := range names {
		d := newDossier(at)
		d.Applicant.FullName = n
		if i == 4 {
			d.Channel = dossier.ChannelCounter
		}
		sub, err := s.CreateDossier(ctx, d, "", []byte{1})
		require.NoError(t, err)
		codes[i] = sub.Code
	}
	// Current steps: 0 due Dec 3 (dept B), 1 due Dec 1 (dept A, overdue),
	// 2 due Dec 3 (dept A and B), 3 and 4 none.
	setStep := func(code, due string, overdue bool, depts ...string) {
		step := map[string]any{"name": "review", "departments": depts, "pending_departments": depts, "due_at": due}
		_, err := conn.Exec(ctx, `UPDATE dossiers SET current_step = $2, overdue = $3, stage = 'review', status = 'received' WHERE code = $1`,
			code, step, overdue)
		require.NoError(t, err)
	}
	setStep(codes[0], "2026-12-03T17:00:00+07:00", false, "B")
	setStep(codes[1], "2026-12-01T17:00:00+07:00", true, "A")
	setStep(codes[2], "2026-12-03T17:00:00+07:00", false, "A", "B")

	list := func(f store.InboxFilter) []string {
		t.Helper()
		if f.Limit == 0 {
			f.Limit = 50
		}
		rows, next, err := s.Inbox(ctx, f)
		require.NoError(t, err)
		require.Nil(t, next)
		out := []string{}
		for _, d := range rows {
			out = append(out, d.Code)
		}
		return out
	}
	// Sorted by due time, nulls last, then code.
	require.Equal(t, []string{codes[1], codes[0], codes[2], codes[3], codes[4]}, list(store.InboxFilter{}))
	require.Equal(t, []string{codes[1], codes[2]}, list(store.InboxFilter{Department: "A"}))
	require.Equal(t, []string{codes[0], codes[2]}, list(store.InboxFilter{Department: "B"}))
	require.Equal(t, []string{codes[1], codes[0], codes[2]}, list(store.InboxFilter{Stage: dossier.StageReview}))
	require.Equal(t, []string{codes[3], codes[4]}, list(store.InboxFilter{Status: dossier.StatusSubmitted}))
	require.Equal(t, []string{codes[4]}, list(store.InboxFilter{Channel: dossier.ChannelCounter}))
	yes, no := true, false
	require.Equal(t, []string{codes[1]}, list(store.InboxFilter{Overdue: &yes}))
	require.Len(t, list(store.InboxFilter{Overdue: &no}), 4)
	before := time.Date(2026, 12, 2, 0, 0, 0, 0, dossier.Location)
	require.Equal(t, []string{codes[1]}, list(store.InboxFilter{DueBefore: &before}))
	require.Equal(t, []string{codes[0], codes[2], codes[3], codes[4]}, list(store.InboxFilter{Agency: "000.00.17.H39", Procedure: "TP-LLTP-01", Overdue: &no}))
	require.Empty(t, list(store.InboxFilter{Agency: "nowhere"}))
	// Search: names without diacritics, any case; code prefixes.
	require.Equal(t, []string{codes[0], codes[3]}, list(store.InboxFilter{Query: "nguyen van a"}))
	require.Equal(t, []string{codes[3]}, list(store.InboxFilter{Query: "NGUYEN VAN ANH"}))
	require.Equal(t, []string{codes[2]}, list(store.InboxFilter{Query: "le van duc"}))
	require.Equal(t, []string{codes[2]}, list(store.InboxFilter{Query: "Lê Văn Đức"}))
	require.Equal(t, []string{codes[1]}, list(store.InboxFilter{Query: "bich"}))
	require.Equal(t, []string{codes[4]}, list(store.InboxFilter{Query: codes[4]}))
	require.Len(t, list(store.InboxFilter{Query: "000.00.17.H39-261127"}), 5)
	require.Empty(t, list(store.InboxFilter{Query: "%"}), "LIKE wildcards are literal")
	require.Empty(t, list(store.InboxFilter{Query: "_"}))

	// Pages of 2 walk the same order, across the due/no-due boundary.
	var walked []string
	var after *store.InboxCursor
	for pages := 0; ; pages++ {
		require.Less(t, pages, 5)
		rows, next, err := s.Inbox(ctx, store.InboxFilter{Limit: 2, After: after})
		require.NoError(t, err)
		require.LessOrEqual(t, len(rows), 2)
		for _, d := range rows {
			walked = append(walked, d.Code)
		}
		if next == nil {
			break
		}
		after, err = store.DecodeInboxCursor(next.Encode())
		require.NoError(t, err)
	}
	require.Equal(t, []string{codes[1], codes[0], codes[2], codes[3], codes[4]}, walked)

	// The rows read back as dossiers.
	rows, _, err := s.Inbox(ctx, store.InboxFilter{Limit: 1})
	require.NoError(t, err)
	require.Equal(t, "Trần Thị Bích", rows[0].Applicant.FullName)
	require.Equal(t, []string{"A"}, rows[0].CurrentStep.Departments)

	_, _, err = s.Inbox(ctx, store.InboxFilter{Limit: 0})
	require.Error(t, err)
	_, _, err = s.Inbox(ctx, store.InboxFilter{Limit: store.InboxMaxLimit + 1})
	require.Error(t, err)
}

func TestPublicDossier(t *testing.T) {
	t.Parallel()
	s, _ := openWithSQL(t)
	ctx := context.Background()
	d := newDossier(testenv.Now())
	d.LookupKeyHash = store.HashLookupKey("ABCDEFGHJK")
	sub, err := s.CreateDossier(ctx, d, "", []byte{1})
	require.NoError(t, err)
	got, err := s.PublicDossier(ctx, sub.Code, store.HashLookupKey("ABCDEFGHJK"))
	require.NoError(t, err)
	require.Equal(t, sub.Code, got.Code)

	_, wrong := s.PublicDossier(ctx, sub.Code, store.HashLookupKey("ABCDEFGHJL"))
	_, unknown := s.PublicDossier(ctx, "no-such-code", store.HashLookupKey("ABCDEFGHJK"))
	_, empty := s.PublicDossier(ctx, sub.Code, nil)
	for _, err := range []error{wrong, unknown, empty} {
		require.Equal(t, dossier.ENotFound, dossier.ErrorCodeOf(err))
		require.Equal(t, store.ErrLookupNotFound.Error(), err.Error())
	}
	// A dossier without a key (from before keys existed) is never found.
	old, err := s.CreateDossier(ctx, newDossier(testenv.Now()), "", []byte{1})
	require.NoError(t, err)
	_, err = s.PublicDossier(ctx, old.Code, store.HashLookupKey(""))
	require.Equal(t, dossier.ENotFound, dossier.ErrorCodeOf(err))
}

// Migration 00005 backfills rows written before it, and goes down cleanly.
func TestMigration00005Backfill(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	url := testenv.NewDatabase(t)
	cfg, err := pgx.ParseConfig(url)
	require.NoError(t, err)
	db := stdlib.OpenDB(*cfg)
	t.Cleanup(func() { _ = db.Close() })
	p, err := goose.NewProvider(goose.DialectPostgres, db, os.DirFS("migrations"))
	require.NoError(t, err)
	_, err = p.DownTo(ctx, 4)
	require.NoError(t, err)
	_, err = db.ExecContext(ctx, `
		INSERT INTO dossiers (code, procedure_code, procedure_version, agency_code, channel, status, stage,
			applicant, documents, return_method, submitted_at, version, current_step)
		VALUES ('OLD-1', 'TP-LLTP-01', 1, '000.00.17.H39', 'online', 'received', 'review',
			'{"full_name": "  ĐẶNG Thị  Ánh Tuyết"}', '[]', 'counter', now(), 2,
			'{"name": "review", "departments": ["A"], "due_at": "2026-12-03T17:00:00+07:00"}'),
		       ('OLD-2', 'TP-LLTP-01', 1, '000.00.17.H39', 'online', 'submitted', 'intake',
			'{"full_name": "Lê Văn Đức"}', '[]', 'counter', now(), 1, NULL)`)
	require.NoError(t, err)
	_, err = p.UpTo(ctx, 5)
	require.NoError(t, err)
	rows, err := db.QueryContext(ctx, `SELECT code, search_name, due_at, lookup_key_hash IS NULL FROM dossiers ORDER BY code`)
	require.NoError(t, err)
	defer rows.Close()
	type row struct {
		code, name string
		due        *time.Time
		noKey      bool
	}
	var got []row
	for rows.Next() {
		var r row
		require.NoError(t, rows.Scan(&r.code, &r.name, &r.due, &r.noKey))
		got = append(got, r)
	}
	require.NoError(t, rows.Err())
	require.Len(t, got, 2)
	require.Equal(t, "dang thi anh tuyet", got[0].name)
	require.Equal(t, store.SearchName("  ĐẶNG Thị  Ánh Tuyết"), got[0].name)
	require.NotNil(t, got[0].due)
	require.True(t, got[0].due.Equal(time.Date(2026, 12, 3, 17, 0, 0, 0, dossier.Location)))
	require.True(t, got[0].noKey)
	require.Equal(t, "le van duc", got[1].name)
	require.Nil(t, got[1].due)

	// The trigger keeps due_at in step with current_step.
	_, err = db.ExecContext(ctx, `UPDATE dossiers SET current_step = NULL WHERE code = 'OLD-1'`)
	require.NoError(t, err)
	var due *time.Time
	require.NoError(t, db.QueryRowContext(ctx, `SELECT due_at FROM dossiers WHERE code = 'OLD-1'`).Scan(&due))
	require.Nil(t, due)

	// A row inserted without search_name (COPY) gets it; a new applicant
	// name replaces it.
	_, err = db.ExecContext(ctx, `
		INSERT INTO dossiers (code, procedure_code, procedure_version, agency_code, channel, status, stage,
			applicant, documents, return_method, submitted_at, version)
		VALUES ('NEW-1', 'TP-LLTP-01', 1, '000.00.17.H39', 'online', 'submitted', 'intake',
			'{"full_name": "Võ Thị Sáu"}', '[]', 'counter', now(), 1)`)
	require.NoError(t, err)
	var name string
	require.NoError(t, db.QueryRowContext(ctx, `SELECT search_name FROM dossiers WHERE code = 'NEW-1'`).Scan(&name))
	require.Equal(t, "vo thi sau", name)
	_, err = db.ExecContext(ctx, `UPDATE dossiers SET applicant = '{"full_name": "Ngô Quyền"}' WHERE code = 'NEW-1'`)
	require.NoError(t, err)
	require.NoError(t, db.QueryRowContext(ctx, `SELECT search_name FROM dossiers WHERE code = 'NEW-1'`).Scan(&name))
	require.Equal(t, "ngo quyen", name)

	// Down and up again.
	_, err = p.DownTo(ctx, 4)
	require.NoError(t, err)
	_, err = p.UpTo(ctx, 5)
	require.NoError(t, err)
}
