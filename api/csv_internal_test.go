package api

import (
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/store"
)

// TestSummaryCSVIsFormulaSafe: summary.csv writes filter values and group
// keys (catalog text) the way the control sheet's CSV does: a cell a
// spreadsheet would run as a formula starts with a quote instead.
func TestSummaryCSVIsFormulaSafe(t *testing.T) {
	t.Parallel()
	filter := store.ReportFilter{Agency: "@SUM(A1)", Procedure: "+cmd", GroupBy: "sector"}
	var row store.ReportRow
	row.Key = `=HYPERLINK("http://evil.example","x")`
	row.Received.New = 3
	rec := summaryCSVRecord("2026-03-01", "2026-03-31", filter, row)
	require.Equal(t, []string{"2026-03-01", "2026-03-31", "'@SUM(A1)", "'+cmd", `'=HYPERLINK("http://evil.example","x")`},
		rec[:5])
	require.Equal(t, "3", rec[6], "figures are untouched")
	require.Len(t, rec, 5+len(reportCSVHeader))
	// Plain codes stay as they are.
	rec = summaryCSVRecord("2026-03-01", "2026-03-31", store.ReportFilter{Agency: "000.00.17.H39", GroupBy: "channel"},
		store.ReportRow{Key: "online"})
	require.Equal(t, []string{"000.00.17.H39", "", "online"}, rec[2:5])
}
