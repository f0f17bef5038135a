package catalog_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/catalog"
	"github.com/motcua/motcua/data"
	"github.com/motcua/motcua/dossier"
)

func TestShippedCatalogParses(t *testing.T) {
	t.Parallel()
	c, err := catalog.Parse(data.Procedures)
	require.NoError(t, err)
	require.Len(t, c.Agencies, 9)
	require.Len(t, c.Procedures, 10)
	byCode := map[string]catalog.Procedure{}
	for _, p := range c.Procedures {
		byCode[p.Code] = p
	}
	land := byCode["TN-BDDD-01"]
	require.Len(t, land.ReviewSteps(), 2)
	require.Equal(t, []string{"000.00.21.H39", "000.00.22.H39"}, land.ReviewSteps()[1].Departments())
	require.Equal(t, 16, land.ReviewSteps()[1].Hours())
	require.Empty(t, byCode["CT-BS-01"].ReviewSteps())
	// Who has a step, and who approves: what authorization asks.
	require.Equal(t, []string{"000.00.17.H39", "000.00.21.H39", "000.00.21.H39", "000.00.22.H39", "000.00.21.H39", "000.00.17.H39"},
		land.Departments())
	require.Equal(t, "000.00.21.H39", land.ApprovalDepartment())
	require.Equal(t, "", catalog.Procedure{}.ApprovalDepartment())

	enterprise := byCode["KH-DN-01"]
	require.Equal(t, int64(50000), enterprise.FeeFor(dossier.ChannelCounter, 1))
	require.Equal(t, int64(0), enterprise.FeeFor(dossier.ChannelOnline, 1), "online filing is free")
	require.Equal(t, int64(6000), byCode["CT-BS-01"].FeeFor(dossier.ChannelCounter, 3), "2,000 per page")
	require.Equal(t, int64(0), land.FeeFor(dossier.ChannelCounter, 1), "assessed during review")
	require.True(t, enterprise.AllowsReturn(dossier.ReturnElectronic))
	require.False(t, byCode["TP-LLTP-01"].AllowsReturn(dossier.ReturnElectronic))
	// Every shipped procedure has its national code, each its own: the
	// national portal knows dossiers' procedures by it.
	national := map[string]string{}
	for _, p := range c.Procedures {
		require.Regexp(t, `^[0-9]\.[0-9]{6}$`, p.NationalCode, p.Code)
		require.NotContains(t, national, p.NationalCode, "%s and %s share a national code", p.Code, national[p.NationalCode])
		national[p.NationalCode] = p.Code
	}
}

// A national code that is not the national procedure database's format is
// refused at import, naming the field.
func TestParseRejectsBadNationalCode(t *testing.T) {
	t.Parallel()
	steps := `    steps:
      - {name: intake, department: "A", share: 4}
      - {name: review, department: "B", share: 4}
      - {name: approval, department: "B", share: 4}
      - {name: return, department: "A", share: 4}
`
	for _, code := range []string{"1.1234", "TP-LLTP-01", "1.0016120"} {
		_, err := catalog.Parse([]byte(header + "    national_code: \"" + code + "\"\n" + steps))
		require.ErrorContains(t, err, "national_code must be", code)
	}
	c, err := catalog.Parse([]byte(header + "    national_code: \"1.001612\"\n" + steps))
	require.NoError(t, err)
	require.Equal(t, "1.001612", c.Procedures[0].NationalCode)
}

const header = `agencies:
  - {code: "A", name: Center, kind: center}
  - {code: "B", name: Dept, kind: department}
procedures:
  - code: P-01
    name: A procedure
    intake_agency: "A"
    duration: {unit: working_days, counter: 2, online: 2}
    fee: {kind: fixed, amount: 1000}
    return_methods: [counter]
`

func TestParseRejectsBrokenProcedures(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name, steps, want string
	}{
		{"shares do not add up", `
      - {name: intake, department: "A", share: 4}
      - {name: review, department: "B", share: 4}
      - {name: approval, department: "B", share: 2}
      - {name: return, department: "A", share: 2}`, "add up to 12 working hours, not the 16 of 2 working days"},
		{"unknown department", `
      - {name: intake, department: "A", share: 4}
      - {name: review, department: "Z", share: 4}
      - {name: approval, department: "B", share: 4}
      - {name: return, department: "A", share: 4}`, `department "Z" is not in the catalog`},
		{"no approval", `
      - {name: intake, department: "A", share: 8}
      - {name: review, department: "B", share: 4}
      - {name: return, department: "A", share: 4}`, "the step before return must be approval"},
		{"parallel of one", `
      - {name: intake, department: "A", share: 4}
      - {name: review, parallel: [{department: "B", share: 4}]}
      - {name: approval, department: "B", share: 4}
      - {name: return, department: "A", share: 4}`, "one parallel department"},
		{"unknown key", `
      - {name: intake, departmnet: "A", share: 4}`, "departmnet"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := catalog.Parse([]byte(header + "    steps:" + tc.steps + "\n"))
			require.ErrorContains(t, err, tc.want)
		})
	}
}

// An agency's office hours by date range (summer and winter hours) are read
// and checked with the catalog; a working-day procedure may have a cut-off.
func TestAgencyPeriodsAndCutoff(t *testing.T) {
	t.Parallel()
	ps, err := catalog.ParsePeriods([]catalog.AgencyPeriod{
		{From: "2026-04-15", To: "2026-10-14", Windows: []string{"07:00-11:00", "13:30-17:30"}},
		{From: "2026-12-01", To: "2027-02-28", Windows: []string{"07:30-11:30", "13:00-16:00"}},
	})
	require.NoError(t, err)
	require.Len(t, ps, 2)
	require.Equal(t, "2026-12-01..2027-02-28 07:30-11:30,13:00-16:00", ps[1].String())
	for _, bad := range []struct {
		periods []catalog.AgencyPeriod
		err     string
	}{
		{[]catalog.AgencyPeriod{{From: "2026-10-14", To: "2026-04-15", Windows: []string{"07:00-11:00"}}}, "must run from an existing date to the same or a later one"},
		{[]catalog.AgencyPeriod{{From: "15/04/2026", To: "2026-10-14", Windows: []string{"07:00-11:00"}}}, "dates written like 2026-04-15"},
		{[]catalog.AgencyPeriod{{From: "2026-04-15", To: "2026-10-14", Windows: []string{"7h-11h"}}}, "written like 07:30-11:30"},
		{[]catalog.AgencyPeriod{{From: "2026-04-15", To: "2026-10-14", Windows: []string{"07:00-11:00"}},
			{From: "2026-10-01", To: "2026-12-31", Windows: []string{"07:00-11:00"}}}, "overlap"},
	} {
		_, err := catalog.ParsePeriods(bad.periods)
		require.ErrorContains(t, err, bad.err)
	}

	c, err := catalog.Parse(data.Procedures)
	require.NoError(t, err)
	p := c.Procedures[0]
	require.Equal(t, catalog.UnitWorkingDays, p.Duration.Unit)
	p.Duration.Cutoff = "15:00"
	require.NoError(t, p.Validate(func(string) bool { return true }))
	p.Duration.Cutoff = "3pm"
	require.ErrorContains(t, p.Validate(func(string) bool { return true }), "duration.cutoff must be a clock time like 15:00")
}

// Collection on delivery (cash_on_delivery) is for a fee collected with
// the result by post: the shipped GT-GPLX-01 has it; a procedure without
// postal return, without a fee or collecting at filing is refused.
func TestCashOnDeliveryNeedsPostalReturnAndAFee(t *testing.T) {
	t.Parallel()
	c, err := catalog.Parse(data.Procedures)
	require.NoError(t, err)
	for _, p := range c.Procedures {
		require.Equal(t, p.Code == "GT-GPLX-01", p.CashOnDelivery, p.Code)
	}
	steps := `
    steps:
      - {name: intake, department: "A", share: 4}
      - {name: review, department: "B", share: 4}
      - {name: approval, department: "B", share: 4}
      - {name: return, department: "A", share: 4}
`
	ok := strings.Replace(header, "return_methods: [counter]", "return_methods: [counter, postal]\n    cash_on_delivery: true", 1)
	_, err = catalog.Parse([]byte(ok + steps))
	require.NoError(t, err)
	for want, doc := range map[string]string{
		"needs postal among return_methods": strings.Replace(header, "return_methods: [counter]", "return_methods: [counter]\n    cash_on_delivery: true", 1),
		"needs a fee to collect":            strings.Replace(ok, "fee: {kind: fixed, amount: 1000}", "fee: {kind: free}", 1),
		"fee_timing must be before_result":  strings.Replace(ok, "cash_on_delivery: true", "cash_on_delivery: true\n    fee_timing: at_filing", 1),
	} {
		_, err := catalog.Parse([]byte(doc + steps))
		require.ErrorContains(t, err, want)
	}
}
