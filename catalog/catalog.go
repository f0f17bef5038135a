// Package catalog holds the published administrative procedures (thủ tục
// hành chính) and the agencies that receive and process them: their legal
// durations, department steps with shares of the legal time, fees and
// return methods.
//
// The catalog file (data/procedures.yaml) and the API's JSON share one shape,
// so a procedure read from either means the same thing.
package catalog

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/motcua/motcua/calendar"
	"github.com/motcua/motcua/dossier"
)

// Agency is a center, a department or a commune, by its identifier code
// (mã định danh). Departments are agencies too.
type Agency struct {
	Code string `json:"code" yaml:"code"`
	Name string `json:"name" yaml:"name"`
	Kind string `json:"kind" yaml:"kind"` // center | department | commune
	// Windows are the agency's office hours, e.g. ["07:30-11:30",
	// "13:00-17:00"]; empty means the default 07:00–11:30 and 13:30–17:00.
	// A dossier's deadlines follow its receiving agency's hours.
	Windows []string `json:"windows,omitempty" yaml:"windows"`
	// Periods are office hours of their own for date ranges: summer and
	// winter hours. On a date of a period its windows count instead.
	Periods []AgencyPeriod `json:"periods,omitempty" yaml:"periods"`
}

// AgencyPeriod is an agency's office hours for a date range, both dates
// included: {from: 2026-04-15, to: 2026-10-14, windows: ["07:00-11:00",
// "13:30-17:30"]}.
type AgencyPeriod struct {
	From    string   `json:"from" yaml:"from"`
	To      string   `json:"to" yaml:"to"`
	Windows []string `json:"windows" yaml:"windows"`
}

// ParsePeriods reads an agency's periods into calendar periods, checked by
// the calendar (dates that exist, the end not before the start, valid
// windows, no two periods overlapping).
func ParsePeriods(in []AgencyPeriod) ([]calendar.Period, error) {
	out := make([]calendar.Period, 0, len(in))
	for _, p := range in {
		from, errF := calendar.ParseDate(p.From)
		to, errT := calendar.ParseDate(p.To)
		if errF != nil || errT != nil {
			return nil, fmt.Errorf("period %s..%s: from and to must be dates written like 2026-04-15", p.From, p.To)
		}
		ws, err := ParseWindows(p.Windows)
		if err != nil {
			return nil, fmt.Errorf("period %s..%s: %w", p.From, p.To, err)
		}
		out = append(out, calendar.Period{From: from, To: to, Windows: ws})
	}
	if _, err := calendar.NewWithPeriods(calendar.DefaultWindows(), out, nil); err != nil {
		return nil, err
	}
	return out, nil
}

// ParseWindows reads office hours written "HH:MM-HH:MM" into calendar
// windows, checked by the calendar.
func ParseWindows(in []string) ([]calendar.Window, error) {
	out := make([]calendar.Window, 0, len(in))
	for _, w := range in {
		from, to, ok := strings.Cut(w, "-")
		a, errA := time.Parse("15:04", strings.TrimSpace(from))
		b, errB := time.Parse("15:04", strings.TrimSpace(to))
		if !ok || errA != nil || errB != nil {
			return nil, fmt.Errorf("working window %q must be written like 07:30-11:30", w)
		}
		clock := func(t time.Time) time.Duration {
			return time.Duration(t.Hour())*time.Hour + time.Duration(t.Minute())*time.Minute
		}
		out = append(out, calendar.Window{Start: clock(a), End: clock(b)})
	}
	if _, err := calendar.New(out, nil); err != nil {
		return nil, err
	}
	return out, nil
}

// Duration is a procedure's legal processing time.
type Duration struct {
	Unit    string `json:"unit" yaml:"unit"` // working_days | calendar_days | same_day
	Counter int    `json:"counter" yaml:"counter"`
	Online  int    `json:"online" yaml:"online"`
	// Cutoff is the clock time (giờ chốt) after which a dossier received on
	// a working day counts from the next one: "15:00" (same_day's default
	// when unset); for other units none when unset.
	Cutoff string `json:"cutoff,omitempty" yaml:"cutoff"`
}

// The duration units a catalog uses.
const (
	UnitWorkingDays  = "working_days"
	UnitCalendarDays = "calendar_days"
	UnitSameDay      = "same_day"
)

// For returns the number of units that apply to a dossier filed through
// channel: online dossiers may have a shorter legal time than counter and
// postal ones.
func (d Duration) For(ch dossier.Channel) int {
	if ch == dossier.ChannelOnline && d.Online > 0 {
		return d.Online
	}
	return d.Counter
}

// Branch is one department's part of a step that several departments work on
// in parallel (một cửa liên thông).
type Branch struct {
	Department string `json:"department" yaml:"department"`
	Share      int    `json:"share" yaml:"share"`
}

// Step is one step of a procedure: done by one department, or by several in
// parallel. Share is the step's part of the legal time, in working hours.
type Step struct {
	Name       string   `json:"name" yaml:"name"`
	Department string   `json:"department,omitempty" yaml:"department"`
	Share      int      `json:"share" yaml:"share"`
	Parallel   []Branch `json:"parallel,omitempty" yaml:"parallel"`
}

// Departments lists the agency codes that work on the step.
func (s Step) Departments() []string {
	if len(s.Parallel) == 0 {
		return []string{s.Department}
	}
	out := make([]string, len(s.Parallel))
	for i, b := range s.Parallel {
		out[i] = b.Department
	}
	return out
}

// Hours is the step's share of the legal time in working hours; a parallel
// step lasts as long as its longest branch.
func (s Step) Hours() int {
	if len(s.Parallel) == 0 {
		return s.Share
	}
	longest := 0
	for _, b := range s.Parallel {
		longest = max(longest, b.Share)
	}
	return longest
}

// Fee is what the applicant pays.
type Fee struct {
	Kind         string `json:"kind" yaml:"kind"` // fixed | per_unit | free | assessed
	Amount       int64  `json:"amount" yaml:"amount"`
	OnlineAmount *int64 `json:"online_amount" yaml:"online_amount"`
	Unit         string `json:"unit,omitempty" yaml:"unit"`
	Note         string `json:"note,omitempty" yaml:"note"`
}

// The fee kinds.
const (
	FeeFixed    = "fixed"
	FeePerUnit  = "per_unit"
	FeeFree     = "free"
	FeeAssessed = "assessed"
)

// When a procedure collects its fee (Procedure.FeeTiming).
const (
	FeeBeforeResult        = "before_result"
	FeeAtFiling            = "at_filing"
	FeeFinancialObligation = "financial_obligation"
)

// Procedure is one published administrative procedure.
type Procedure struct {
	Code         string `json:"code" yaml:"code"`
	Name         string `json:"name" yaml:"name"`
	NameVI       string `json:"name_vi" yaml:"name_vi"`
	IntakeAgency string `json:"intake_agency" yaml:"intake_agency"`
	OnlineLevel  string `json:"online_level" yaml:"online_level"`
	// Sector is the field (lĩnh vực) the procedure belongs to in the
	// national procedure database, for reports by sector; nil in versions
	// published before sectors existed.
	Sector *Sector `json:"sector,omitempty" yaml:"sector"`
	// NationalCode is the procedure's code in the national procedure
	// database (e.g. 1.001612): the national public-service portal knows
	// a dossier's procedure by it. "" in versions published before it.
	NationalCode      string   `json:"national_code,omitempty" yaml:"national_code"`
	Duration          Duration `json:"duration" yaml:"duration"`
	Steps             []Step   `json:"steps" yaml:"steps"`
	Fee               Fee      `json:"fee" yaml:"fee"`
	ReturnMethods     []string `json:"return_methods" yaml:"return_methods"`
	RequiredDocuments []string `json:"required_documents" yaml:"required_documents"`
	// FeeTiming is when the fee is collected: before_result (the default,
	// "" too: after the leader signs), at_filing (before intake decides;
	// fixed and per-unit fees) or financial_obligation (an assessed fee,
	// asked for when the review assesses it; the legal clock pauses until
	// it is paid, as land procedures require).
	FeeTiming string `json:"fee_timing,omitempty" yaml:"fee_timing"`
	// CashOnDelivery: the postal service may collect the fee from the
	// applicant when it delivers the result, on the agency's behalf
	// (Decision 45/2016/QĐ-TTg, Art. 4); the applicant chooses it with
	// postal return. Only for a fee collected before the result.
	CashOnDelivery bool `json:"cash_on_delivery,omitempty" yaml:"cash_on_delivery"`
	Version        int  `json:"version" yaml:"-"`
	// EffectiveFrom is when this version takes effect (nil: when it is
	// published). Dossiers submitted before it keep the earlier version.
	EffectiveFrom *time.Time `json:"effective_from,omitempty" yaml:"effective_from"`
}

// Sector is a field of administration (lĩnh vực), by its code in the
// national procedure database and its Vietnamese name as printed on reports.
type Sector struct {
	Code string `json:"code" yaml:"code"`
	Name string `json:"name" yaml:"name"`
}

// The step names that frame every procedure. Steps between intake and
// approval are the review steps, done by departments in order.
const (
	StepIntake   = "intake"
	StepApproval = "approval"
	StepReturn   = "return"
)

// ReviewSteps returns the department steps between intake and approval.
func (p Procedure) ReviewSteps() []Step {
	var out []Step
	for _, s := range p.Steps {
		switch s.Name {
		case StepIntake, StepApproval, StepReturn:
		default:
			out = append(out, s)
		}
	}
	return out
}

// Step returns the step with the given name.
func (p Procedure) Step(name string) (Step, bool) {
	for _, s := range p.Steps {
		if s.Name == name {
			return s, true
		}
	}
	return Step{}, false
}

// Departments lists every agency with a step in the procedure, in step
// order (an agency with several steps appears once per step).
func (p Procedure) Departments() []string {
	var out []string
	for _, s := range p.Steps {
		out = append(out, s.Departments()...)
	}
	return out
}

// ApprovalDepartment is the department that owns the approval step (its
// leaders approve, extend, stop and sign apology letters); "" when the
// procedure has none.
func (p Procedure) ApprovalDepartment() string {
	s, ok := p.Step(StepApproval)
	if !ok {
		return ""
	}
	return s.Departments()[0]
}

// AllowsReturn reports whether the result can be returned by method m.
func (p Procedure) AllowsReturn(m dossier.ReturnMethod) bool {
	for _, r := range p.ReturnMethods {
		if r == string(m) {
			return true
		}
	}
	return false
}

// FeeFor returns the fee known at submission for a dossier filed through
// channel with units pages or copies. An assessed fee is set during review,
// so it is 0 here.
func (p Procedure) FeeFor(ch dossier.Channel, units int) int64 {
	switch p.Fee.Kind {
	case FeeFixed:
		if ch == dossier.ChannelOnline && p.Fee.OnlineAmount != nil {
			return *p.Fee.OnlineAmount
		}
		return p.Fee.Amount
	case FeePerUnit:
		return p.Fee.Amount * int64(max(units, 1))
	}
	return 0
}

// Catalog is the content of a catalog file.
type Catalog struct {
	Agencies   []Agency    `yaml:"agencies"`
	Procedures []Procedure `yaml:"procedures"`
}

// Parse reads a catalog file and validates every procedure against the
// agencies it lists.
func Parse(data []byte) (*Catalog, error) {
	var c Catalog
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&c); err != nil {
		return nil, fmt.Errorf("catalog: %w", err)
	}
	agencies := make(map[string]bool, len(c.Agencies))
	for _, a := range c.Agencies {
		if a.Code == "" {
			return nil, fmt.Errorf("catalog: an agency has no code")
		}
		if agencies[a.Code] {
			return nil, fmt.Errorf("catalog: agency %s is listed twice", a.Code)
		}
		if len(a.Windows) > 0 {
			if _, err := ParseWindows(a.Windows); err != nil {
				return nil, fmt.Errorf("catalog: agency %s: %w", a.Code, err)
			}
		}
		if _, err := ParsePeriods(a.Periods); err != nil {
			return nil, fmt.Errorf("catalog: agency %s: %w", a.Code, err)
		}
		agencies[a.Code] = true
	}
	seen := map[string]bool{}
	for _, p := range c.Procedures {
		if seen[p.Code] {
			return nil, fmt.Errorf("catalog: procedure %s is listed twice", p.Code)
		}
		seen[p.Code] = true
		if err := p.Validate(func(code string) bool { return agencies[code] }); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

var (
	procedureCode = regexp.MustCompile(`^[A-Z0-9][A-Z0-9-]{1,63}$`)
	nationalCode  = regexp.MustCompile(`^[0-9]\.[0-9]{6}$`)
	cutoffClock   = regexp.MustCompile(`^([01][0-9]|2[0-3]):[0-5][0-9]$`)
)

// Validate checks that a procedure can run: its frame of steps, that its
// departments exist, that the shares fit its duration, and its fee.
func (p Procedure) Validate(agencyExists func(code string) bool) error {
	fail := func(format string, args ...any) error {
		return fmt.Errorf("catalog: procedure %s: %s", p.Code, fmt.Sprintf(format, args...))
	}
	if !procedureCode.MatchString(p.Code) {
		return fail("code must be upper-case letters, digits and dashes")
	}
	if strings.TrimSpace(p.Name) == "" {
		return fail("name is empty")
	}
	if !agencyExists(p.IntakeAgency) {
		return fail("intake agency %q is not in the catalog", p.IntakeAgency)
	}
	if sc := p.Sector; sc != nil && (!procedureCode.MatchString(sc.Code) || strings.TrimSpace(sc.Name) == "") {
		return fail("sector needs a code (upper-case letters, digits and dashes) and a name")
	}
	if p.NationalCode != "" && !nationalCode.MatchString(p.NationalCode) {
		return fail("national_code must be the national procedure database's code, a digit, a dot and six digits (1.001612)")
	}
	switch p.Duration.Unit {
	case UnitWorkingDays, UnitCalendarDays:
		if p.Duration.Counter <= 0 {
			return fail("duration.counter must be positive")
		}
		if p.Duration.Online < 0 || p.Duration.Online > p.Duration.Counter {
			return fail("duration.online must be between 0 and duration.counter")
		}
	case UnitSameDay:
	default:
		return fail("duration.unit must be working_days, calendar_days or same_day")
	}
	if p.Duration.Cutoff != "" && !cutoffClock.MatchString(p.Duration.Cutoff) {
		return fail("duration.cutoff must be a clock time like 15:00")
	}
	if len(p.Steps) < 3 || p.Steps[0].Name != StepIntake || p.Steps[len(p.Steps)-1].Name != StepReturn {
		return fail("steps must start with intake and end with return")
	}
	if p.Steps[len(p.Steps)-2].Name != StepApproval {
		return fail("the step before return must be approval")
	}
	total := 0
	names := map[string]bool{}
	for i, s := range p.Steps {
		if names[s.Name] {
			return fail("step %q appears twice", s.Name)
		}
		names[s.Name] = true
		if (s.Department == "") == (len(s.Parallel) == 0) {
			return fail("step %q must name either one department or parallel departments", s.Name)
		}
		if len(s.Parallel) > 0 && (i == 0 || s.Name == StepApproval || s.Name == StepReturn) {
			return fail("step %q cannot be parallel", s.Name)
		}
		if len(s.Parallel) == 1 {
			return fail("step %q has one parallel department: name it as the step's department", s.Name)
		}
		deps := map[string]bool{}
		for _, d := range s.Departments() {
			if !agencyExists(d) {
				return fail("step %q: department %q is not in the catalog", s.Name, d)
			}
			if deps[d] {
				return fail("step %q: department %q is listed twice", s.Name, d)
			}
			deps[d] = true
		}
		if s.Share < 0 {
			return fail("step %q: share is negative", s.Name)
		}
		for _, b := range s.Parallel {
			if b.Share < 0 {
				return fail("step %q: share of %s is negative", s.Name, b.Department)
			}
		}
		total += s.Hours()
	}
	if p.Duration.Unit == UnitWorkingDays && total != p.Duration.Counter*8 {
		return fail("the steps' shares add up to %d working hours, not the %d of %d working days", total, p.Duration.Counter*8, p.Duration.Counter)
	}
	switch p.Fee.Kind {
	case FeeFixed, FeePerUnit:
		if p.Fee.Amount < 0 || (p.Fee.OnlineAmount != nil && *p.Fee.OnlineAmount < 0) {
			return fail("fee amounts must not be negative")
		}
		if p.Fee.Kind == FeePerUnit && p.Fee.Unit == "" {
			return fail("a per_unit fee needs a unit (page, copy…)")
		}
	case FeeFree, FeeAssessed:
	default:
		return fail("fee.kind must be fixed, per_unit, free or assessed")
	}
	switch p.FeeTiming {
	case "", FeeBeforeResult:
	case FeeAtFiling:
		if p.Fee.Kind != FeeFixed && p.Fee.Kind != FeePerUnit {
			return fail("fee_timing at_filing needs a fee known at filing (fixed or per_unit), not %s", p.Fee.Kind)
		}
	case FeeFinancialObligation:
		if p.Fee.Kind != FeeAssessed {
			return fail("fee_timing financial_obligation needs an assessed fee, not %s", p.Fee.Kind)
		}
	default:
		return fail("fee_timing must be before_result, at_filing or financial_obligation")
	}
	if len(p.ReturnMethods) == 0 {
		return fail("return_methods is empty")
	}
	if p.CashOnDelivery {
		switch {
		case !slices.Contains(p.ReturnMethods, string(dossier.ReturnPostal)):
			return fail("cash_on_delivery needs postal among return_methods: the postman collects the fee")
		case p.Fee.Kind == FeeFree:
			return fail("cash_on_delivery needs a fee to collect, not a free procedure")
		case p.FeeTiming != "" && p.FeeTiming != FeeBeforeResult:
			return fail("cash_on_delivery collects the fee with the result: fee_timing must be before_result, not %s", p.FeeTiming)
		}
	}
	for _, m := range p.ReturnMethods {
		if !dossier.ReturnMethod(m).Valid() {
			return fail("return method %q must be postal, counter or electronic", m)
		}
	}
	return nil
}
