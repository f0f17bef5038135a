package rules_test

import (
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/data"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/rules"
)

func TestShippedRulesByEffectiveDate(t *testing.T) {
	t.Parallel()
	s, err := rules.Parse(data.Rules)
	require.NoError(t, err)
	day := func(y int, m time.Month, d int) time.Time { return time.Date(y, m, d, 8, 0, 0, 0, dossier.Location) }
	require.Equal(t, "ND61-2018", s.At(day(2025, 6, 30)).Version)
	require.Equal(t, "ND118-2025", s.At(day(2025, 7, 1)).Version, "the 2025 decree applies from 1 July 2025")
	require.Equal(t, "ND118-2025", s.At(day(2030, 1, 1)).Version)
	require.Equal(t, "ND61-2018", s.At(day(2010, 1, 1)).Version, "before every version: the oldest")
	r := s.At(day(2026, 1, 1))
	require.Equal(t, 0.75, r.WarningFraction)
	require.Equal(t, 8*time.Hour, r.ApologyLeadTime)
	require.Equal(t, 10, r.SupplementDeadline.N)
	require.Equal(t, 7*24*time.Hour, r.PostalOutageFallback)
	require.Equal(t, 72*time.Hour, r.PaymentExpiry)
	require.Equal(t, 1, r.MaxSupplementRequests, "one written supplement request per agency")
	require.Equal(t, "3wd", r.SupplementRequestWithin.String())
	require.Contains(t, r.Cite(), "ND118-2025: Decree 118/2025/ND-CP")
	require.Equal(t, calendar.Duration{Unit: calendar.UnitWorkingHours, N: 8}, r.IntakeDeadline, "decided at intake within a working day")
	require.Zero(t, s.At(day(2025, 6, 30)).IntakeDeadline, "no intake deadline before the version that sets one")
}

func TestParseRejectsBadRules(t *testing.T) {
	t.Parallel()
	for _, bad := range []string{
		"versions: []",
		"versions: [{version: a, effective_from: 2025-13-01, warning_fraction: 0.5, supplement_deadline: 10wd, apology_lead_time: 8wh, verdict_against: original, postal_outage_notice: 24h, postal_outage_fallback: 168h, payment_expiry: 72h, payment_reminder_before: 24h}]",
		"versions: [{version: a, effective_from: 2025-01-01, warning_fraction: 1.5, supplement_deadline: 10wd, apology_lead_time: 8wh, verdict_against: original, postal_outage_notice: 24h, postal_outage_fallback: 168h, payment_expiry: 72h, payment_reminder_before: 24h}]",
		"versions: [{version: a, effective_from: 2025-01-01, warning_fraction: 0.5, supplement_deadline: ten, apology_lead_time: 8wh, verdict_against: original, postal_outage_notice: 24h, postal_outage_fallback: 168h, payment_expiry: 72h, payment_reminder_before: 24h}]",
		"versions: [{version: a, effective_from: 2025-01-01, warning_fraction: 0.5, supplement_deadline: 10wd, apology_lead_time: 3d, verdict_against: original, postal_outage_notice: 24h, postal_outage_fallback: 168h, payment_expiry: 72h, payment_reminder_before: 24h}]",
		"versions: [{version: a, effective_from: 2025-01-01, warning_fraction: 0.5, supplement_deadline: 10wd, apology_lead_time: 8wh, verdict_against: whenever, postal_outage_notice: 24h, postal_outage_fallback: 168h, payment_expiry: 72h, payment_reminder_before: 24h}]",
		"versions: [{version: a, effective_from: 2025-01-01, warning_fraction: 0.5, supplement_deadline: 10wd, apology_lead_time: 8wh, verdict_against: original, postal_outage_notice: 24h, postal_outage_fallback: 168h, payment_expiry: 72h, payment_reminder_before: 24h, colour: red}]",
		"versions: [{version: a, effective_from: 2025-01-01, warning_fraction: 0.5, supplement_deadline: 10wd, apology_lead_time: 8wh, verdict_against: original, postal_outage_notice: 24h, postal_outage_fallback: 168h, payment_expiry: 24h, payment_reminder_before: 48h}]",
		"versions: [{version: a, effective_from: 2025-01-01, warning_fraction: 0.5, supplement_deadline: 10wd, apology_lead_time: 8wh, verdict_against: original, postal_outage_notice: 200h, postal_outage_fallback: 168h, payment_expiry: 72h, payment_reminder_before: 24h}]",
		"versions: [{version: a, effective_from: 2025-01-01, warning_fraction: 0.5, supplement_deadline: 10wd, apology_lead_time: 8wh, verdict_against: original, postal_outage_notice: 24h, postal_outage_fallback: 168h, payment_expiry: 72h, payment_reminder_before: 24h, max_supplement_requests: -1}]",
		"versions: [{version: a, effective_from: 2025-01-01, warning_fraction: 0.5, supplement_deadline: 10wd, apology_lead_time: 8wh, verdict_against: original, postal_outage_notice: 24h, postal_outage_fallback: 168h, payment_expiry: 72h, payment_reminder_before: 24h, supplement_request_within: 3d}]",
		"versions: [{version: a, effective_from: 2025-01-01, warning_fraction: 0.5, supplement_deadline: 10wd, apology_lead_time: 8wh, verdict_against: original, postal_outage_notice: 24h, postal_outage_fallback: 168h, payment_expiry: 72h, payment_reminder_before: 24h, intake_deadline: 2d}]",
		"versions: [{version: a, effective_from: 2025-01-01, warning_fraction: 0.5, supplement_deadline: 10wd, apology_lead_time: 8wh, verdict_against: original, postal_outage_notice: 24h, postal_outage_fallback: 168h, payment_expiry: 72h, payment_reminder_before: 24h, intake_deadline: 0wh}]",
	} {
		_, err := rules.Parse([]byte(bad))
		require.Error(t, err, bad)
	}
}
