// Package rules holds the processing rules of the one-stop mechanism that
// change by decree: when to warn, how long a supplement may take, whether
// waiting for payment pauses the clock, how many apology letters may move an
// appointment. Each version has an effective date; a dossier keeps the
// version in force when it was submitted (it travels in the workflow input).
package rules

import (
	"bytes"
	"fmt"
	"slices"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/dossier"
)

// Rules is one version of the rules.
type Rules struct {
	Version       string    `json:"version"`
	EffectiveFrom time.Time `json:"effective_from"`
	// WarningFraction of a step's working time after which its departments
	// are warned (0.75: at three quarters).
	WarningFraction float64 `json:"warning_fraction"`
	// SupplementDeadline is how long the applicant has to supplement.
	SupplementDeadline calendar.Duration `json:"supplement_deadline"`
	// PauseClockForPayment pauses the legal clock while the applicant owes.
	PauseClockForPayment bool `json:"pause_clock_for_payment"`
	// MaxAppointmentResets is how many apology letters may move the
	// appointment.
	MaxAppointmentResets int `json:"max_appointment_resets"`
	// ApologyLeadTime is the working time before the appointment by which
	// an apology letter is due.
	ApologyLeadTime time.Duration `json:"apology_lead_time"`
	// VerdictAgainst is "original" or "latest": which appointment the
	// early/on-time/late verdict compares with.
	VerdictAgainst string `json:"verdict_against"`
	// PostalOutageNotice: staff are told when a shipment request has not
	// gone through for this long; PostalOutageFallback: the applicant is
	// offered counter pickup instead (real time: outages are about days).
	PostalOutageNotice   time.Duration `json:"postal_outage_notice"`
	PostalOutageFallback time.Duration `json:"postal_outage_fallback"`
	// PaymentExpiry is how long a payment request stays open; the
	// applicant is reminded PaymentReminderBefore its end (real time).
	PaymentExpiry         time.Duration `json:"payment_expiry"`
	PaymentReminderBefore time.Duration `json:"payment_reminder_before"`
	// IntakeDeadline is how long an online or postal submission may wait
	// for the intake officer's decision (working time; zero: no deadline).
	IntakeDeadline calendar.Duration `json:"intake_deadline"`

	// Source is where the version's rules come from (its decree and
	// circular), quoted when a decision is refused under one of them.
	Source string `json:"source,omitempty"`
	// MaxSupplementRequests is how many written supplement requests (form
	// 02) one agency may send for one dossier; afterwards it completes the
	// dossier or refuses it. 0 (versions before the rule): no limit.
	MaxSupplementRequests int `json:"max_supplement_requests,omitempty"`
	// SupplementRequestWithin is the working time from receipt within
	// which a supplement may be requested; zero: no limit.
	SupplementRequestWithin calendar.Duration `json:"supplement_request_within,omitzero"`
	// ShipmentPickupWarning: a shipment the postal service accepted but has
	// not picked up this long (working time) after the request warns the
	// intake desk; zero: no warning.
	ShipmentPickupWarning calendar.Duration `json:"shipment_pickup_warning,omitzero"`
}

// Cite names the version and its source, for messages that quote a rule.
func (r Rules) Cite() string {
	if r.Source == "" {
		return "rules " + r.Version
	}
	return "rules " + r.Version + ": " + r.Source
}

// Set is every version, oldest first.
type Set struct{ versions []Rules }

type file struct {
	Versions []struct {
		Version              string  `yaml:"version"`
		Note                 string  `yaml:"note"`
		EffectiveFrom        string  `yaml:"effective_from"`
		WarningFraction      float64 `yaml:"warning_fraction"`
		SupplementDeadline   string  `yaml:"supplement_deadline"`
		PauseClockForPayment bool    `yaml:"pause_clock_for_payment"`
		MaxAppointmentResets int     `yaml:"max_appointment_resets"`
		ApologyLeadTime      string  `yaml:"apology_lead_time"`
		VerdictAgainst       string  `yaml:"verdict_against"`
		PostalOutageNotice   string  `yaml:"postal_outage_notice"`
		PostalOutageFallback string  `yaml:"postal_outage_fallback"`
		PaymentExpiry        string  `yaml:"payment_expiry"`
		PaymentReminder      string  `yaml:"payment_reminder_before"`
		IntakeDeadline       string  `yaml:"intake_deadline"`
		// Optional: versions written before these rules leave them out.
		MaxSupplementRequests   int    `yaml:"max_supplement_requests"`
		SupplementRequestWithin string `yaml:"supplement_request_within"`
		ShipmentPickupWarning   string `yaml:"shipment_pickup_warning"`
	} `yaml:"versions"`
}

// Parse reads a rules file (data/rules.yaml) and validates every version.
func Parse(data []byte) (*Set, error) {
	var f file
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("rules: %w", err)
	}
	if len(f.Versions) == 0 {
		return nil, fmt.Errorf("rules: no versions")
	}
	var s Set
	for _, v := range f.Versions {
		fail := func(format string, args ...any) error {
			return fmt.Errorf("rules: version %q: %s", v.Version, fmt.Sprintf(format, args...))
		}
		from, err := time.ParseInLocation(time.DateOnly, v.EffectiveFrom, dossier.Location)
		if err != nil {
			return nil, fail("effective_from must be a date like 2025-07-01")
		}
		supp, err := calendar.ParseDuration(v.SupplementDeadline)
		if err != nil {
			return nil, fail("supplement_deadline: %v", err)
		}
		lead, err := calendar.ParseDuration(v.ApologyLeadTime)
		if err != nil || (lead.Unit != calendar.UnitWorkingHours && lead.Unit != calendar.UnitWorkingDays) {
			return nil, fail("apology_lead_time must be working hours or days, like 8wh")
		}
		leadTime := time.Duration(lead.N) * time.Hour
		if lead.Unit == calendar.UnitWorkingDays {
			leadTime *= 8
		}
		notice, errN := time.ParseDuration(v.PostalOutageNotice)
		fallback, errF := time.ParseDuration(v.PostalOutageFallback)
		if errN != nil || errF != nil || notice <= 0 || fallback < notice {
			return nil, fail("postal_outage_notice and postal_outage_fallback must be durations like 24h and 168h, the fallback not before the notice")
		}
		expiry, errE := time.ParseDuration(v.PaymentExpiry)
		reminder, errR := time.ParseDuration(v.PaymentReminder)
		if errE != nil || errR != nil || expiry <= 0 || reminder < 0 || reminder >= expiry {
			return nil, fail("payment_expiry and payment_reminder_before must be durations like 72h and 24h, the reminder shorter than the expiry")
		}
		var intake calendar.Duration
		if v.IntakeDeadline != "" {
			intake, err = calendar.ParseDuration(v.IntakeDeadline)
			if err != nil || (intake.Unit != calendar.UnitWorkingHours && intake.Unit != calendar.UnitWorkingDays) || intake.N <= 0 {
				return nil, fail("intake_deadline must be working hours or days, like 8wh")
			}
		}
		var within calendar.Duration
		if v.SupplementRequestWithin != "" {
			within, err = calendar.ParseDuration(v.SupplementRequestWithin)
			if err != nil || (within.Unit != calendar.UnitWorkingHours && within.Unit != calendar.UnitWorkingDays) {
				return nil, fail("supplement_request_within must be working hours or days, like 3wd")
			}
		}
		var pickup calendar.Duration
		if v.ShipmentPickupWarning != "" {
			pickup, err = calendar.ParseDuration(v.ShipmentPickupWarning)
			if err != nil || (pickup.Unit != calendar.UnitWorkingHours && pickup.Unit != calendar.UnitWorkingDays) {
				return nil, fail("shipment_pickup_warning must be working hours or days, like 8wh")
			}
		}
		switch {
		case v.MaxSupplementRequests < 0:
			return nil, fail("max_supplement_requests must not be negative")
		case v.Version == "":
			return nil, fail("version is empty")
		case v.WarningFraction <= 0 || v.WarningFraction >= 1:
			return nil, fail("warning_fraction must be between 0 and 1")
		case v.MaxAppointmentResets < 0:
			return nil, fail("max_appointment_resets must not be negative")
		case v.VerdictAgainst != "original" && v.VerdictAgainst != "latest":
			return nil, fail("verdict_against must be original or latest")
		case len(s.versions) > 0 && !from.After(s.versions[len(s.versions)-1].EffectiveFrom):
			return nil, fail("versions must be in order of effective_from")
		}
		s.versions = append(s.versions, Rules{
			Version: v.Version, EffectiveFrom: from, WarningFraction: v.WarningFraction,
			SupplementDeadline: supp, PauseClockForPayment: v.PauseClockForPayment,
			MaxAppointmentResets: v.MaxAppointmentResets, ApologyLeadTime: leadTime, VerdictAgainst: v.VerdictAgainst,
			PostalOutageNotice: notice, PostalOutageFallback: fallback,
			PaymentExpiry: expiry, PaymentReminderBefore: reminder, IntakeDeadline: intake,
			Source: v.Note, MaxSupplementRequests: v.MaxSupplementRequests, SupplementRequestWithin: within,
			ShipmentPickupWarning: pickup,
		})
	}
	return &s, nil
}

// At returns the version in force at t: the latest that took effect on or
// before it (the oldest for an earlier t).
func (s *Set) At(t time.Time) Rules {
	i, _ := slices.BinarySearchFunc(s.versions, t, func(r Rules, t time.Time) int {
		if r.EffectiveFrom.After(t) {
			return 1
		}
		return -1
	})
	if i == 0 {
		return s.versions[0]
	}
	return s.versions[i-1]
}

// Default is the value a test or a tool uses when no file is configured:
// the latest version's values.
func Default() Rules {
	return Rules{
		Version: "default", WarningFraction: 0.75,
		SupplementDeadline:   calendar.Duration{Unit: calendar.UnitWorkingDays, N: 10},
		PauseClockForPayment: true, MaxAppointmentResets: 1, ApologyLeadTime: 8 * time.Hour,
		VerdictAgainst: "original", PostalOutageNotice: 24 * time.Hour, PostalOutageFallback: 7 * 24 * time.Hour,
		PaymentExpiry: 72 * time.Hour, PaymentReminderBefore: 24 * time.Hour,
		IntakeDeadline:          calendar.Duration{Unit: calendar.UnitWorkingHours, N: 8},
		MaxSupplementRequests:   1,
		SupplementRequestWithin: calendar.Duration{Unit: calendar.UnitWorkingDays, N: 3},
		ShipmentPickupWarning:   calendar.Duration{Unit: calendar.UnitWorkingHours, N: 8},
	}
}
