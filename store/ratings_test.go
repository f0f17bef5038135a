package store_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/internal/testenv"
	"github.com/motcua/motcua/store"
)

// The rating report's figures, from ratings seeded over three months and
// four procedures in a database of the test's own, against counts made in
// Go from what was seeded; and the rules the store keeps: after the end,
// once.
func TestRatingReportFigures(t *testing.T) {
	t.Parallel()
	s := testenv.NewStore(t)
	ctx := context.Background()
	levels := []string{"very_satisfied", "satisfied", "not_satisfied"}
	reasons := [][]string{{"late"}, {"late", "fees"}, {"other"}}

	type seeded struct {
		proc    simProcedure
		level   string
		reasons []string
		month   string
	}
	var all []seeded
	for i := 0; i < 24; i++ {
		proc := simProcedures[i%len(simProcedures)]
		submitted := ict(2026, time.Month(9+i%3), 1+i, 9, 0)
		d := newSimDossier(t, s, proc, dossier.ChannelOnline, submitted)
		if i == 0 {
			require.ErrorIs(t, s.RecordRating(ctx, store.Rating{DossierCode: d.code, Level: "satisfied", ReasonsVersion: 1,
				RatedAt: submitted}), store.ErrNotEnded, "submitted, not ended")
		}
		d.accept(submitted.Add(time.Hour), submitted.AddDate(0, 0, 10), submitted.AddDate(0, 0, 5))
		d.end(submitted.Add(2*time.Hour), dossier.ActionWithdrawn, dossier.StatusWithdrawn)
		sd := seeded{proc: proc, level: levels[i%3], month: submitted.Format("2006-01")}
		if sd.level == "not_satisfied" {
			sd.reasons = reasons[(i/3)%3]
		}
		r := store.Rating{DossierCode: d.code, Level: sd.level, Reasons: sd.reasons, ReasonsVersion: 1,
			RatedAt: submitted.Add(3 * time.Hour)}
		if sd.level == "not_satisfied" && sd.reasons[0] == "other" {
			r.Comment = "chờ lâu"
		}
		require.NoError(t, s.RecordRating(ctx, r))
		if i == 1 {
			r.Level = "very_satisfied"
			require.ErrorIs(t, s.RecordRating(ctx, r), store.ErrAlreadyRated)
			got, ok, err := s.RatingOf(ctx, d.code)
			require.NoError(t, err)
			require.True(t, ok)
			require.Equal(t, sd.level, got.Level, "the first rating stands")
			require.Equal(t, proc.code, got.ProcedureCode)
			require.Equal(t, proc.agency, got.AgencyCode)
		}
		all = append(all, sd)
	}

	// Expected rows, counted in Go.
	expect := func(key func(seeded) []string, keep func(seeded) bool) map[string]store.RatingRow {
		out := map[string]store.RatingRow{}
		for _, sd := range all {
			if keep != nil && !keep(sd) {
				continue
			}
			for _, k := range key(sd) {
				r := out[k]
				r.Key = k
				r.Total++
				switch sd.level {
				case "very_satisfied":
					r.VerySatisfied++
				case "satisfied":
					r.Satisfied++
				default:
					r.Not++
				}
				if r.Reasons == nil {
					r.Reasons = map[string]int64{}
				}
				for _, x := range sd.reasons {
					r.Reasons[x]++
				}
				out[k] = r
			}
		}
		return out
	}
	period := store.RatingFilter{Start: store.LocalDay(2026, 9, 1), End: store.LocalDay(2027, 1, 1)}
	check := func(f store.RatingFilter, want map[string]store.RatingRow) {
		t.Helper()
		rows, err := s.RatingReport(ctx, f)
		require.NoError(t, err)
		got := map[string]store.RatingRow{}
		prev := ""
		for _, r := range rows {
			require.True(t, prev == "" || r.Key > prev, "ordered by key")
			prev = r.Key
			got[r.Key] = r
		}
		require.Equal(t, want, got, "%+v", f)
	}
	for _, g := range []struct {
		by  string
		key func(seeded) []string
	}{
		{"", func(seeded) []string { return []string{""} }},
		{"procedure", func(sd seeded) []string { return []string{sd.proc.code} }},
		{"agency", func(sd seeded) []string { return []string{sd.proc.agency} }},
		{"month", func(sd seeded) []string { return []string{sd.month} }},
		{"department", func(sd seeded) []string { return sd.proc.review }},
	} {
		f := period
		f.GroupBy = g.by
		check(f, expect(g.key, nil))
		f.Procedure = "TN-BDDD-01"
		check(f, expect(g.key, func(sd seeded) bool { return sd.proc.code == "TN-BDDD-01" }))
		f.Procedure, f.Department = "", "000.00.22.H39"
		want := expect(g.key, func(sd seeded) bool { return sd.proc.code == "TN-BDDD-01" })
		if g.by == "department" {
			want = map[string]store.RatingRow{"000.00.22.H39": want["000.00.22.H39"]}
		}
		check(f, want)
		f.Department, f.Agency = "", "000.00.25.H39"
		check(f, expect(g.key, func(sd seeded) bool { return sd.proc.agency == "000.00.25.H39" }))
	}
	oct := store.RatingFilter{Start: store.LocalDay(2026, 10, 1), End: store.LocalDay(2026, 11, 1), GroupBy: "month"}
	check(oct, expect(func(sd seeded) []string { return []string{sd.month} },
		func(sd seeded) bool { return sd.month == "2026-10" }))

	none, err := s.RatingReport(ctx, store.RatingFilter{Start: store.LocalDay(2025, 1, 1), End: store.LocalDay(2025, 2, 1)})
	require.NoError(t, err)
	require.Len(t, none, 1, "ungrouped: one row even without ratings")
	require.Zero(t, none[0].Total)
	require.Nil(t, none[0].SatisfactionRate())
	_, err = s.RatingReport(ctx, store.RatingFilter{GroupBy: "sector"})
	require.Error(t, err)
	require.Equal(t, fmt.Sprint(2.0/3), fmt.Sprint(*store.RatingRow{Total: 3, VerySatisfied: 1, Satisfied: 1}.SatisfactionRate()))
}
