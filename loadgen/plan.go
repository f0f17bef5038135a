package loadgen

import (
	"fmt"
	"math/rand/v2"
)

// procedure is what the generator needs to know of a catalog entry
// (data/procedures.yaml).
type procedure struct {
	code    string
	returns []string // return methods the procedure offers
	weight  int      // relative share of submissions
	perUnit bool     // fee per page/copy: fee_units is sent
	// assessed: the fee is set during review (assessed_fee).
	assessed bool
}

// procedures is the mix of the shipped catalog: commune civil-status work
// and certifications dominate, land and construction are rarer.
var procedures = []procedure{
	{code: "HT-KS-01", returns: []string{"counter", "electronic"}, weight: 15},
	{code: "CT-BS-01", returns: []string{"counter"}, weight: 18, perUnit: true},
	{code: "HT-TLHT-01", returns: []string{"counter", "postal", "electronic"}, weight: 10, perUnit: true},
	{code: "TP-LLTP-01", returns: []string{"counter", "postal"}, weight: 15},
	{code: "KH-HKD-01", returns: []string{"counter", "postal", "electronic"}, weight: 10},
	{code: "KH-DN-01", returns: []string{"electronic", "counter", "postal"}, weight: 8},
	{code: "GT-GPLX-01", returns: []string{"postal", "counter"}, weight: 10},
	{code: "XD-GPXD-01", returns: []string{"counter", "postal"}, weight: 5},
	{code: "TN-BDDD-01", returns: []string{"counter", "postal"}, weight: 5, assessed: true},
	{code: "YT-ATTP-01", returns: []string{"counter", "postal", "electronic"}, weight: 4},
}

// Intake outcomes of a plan.
const (
	IntakeAccept     = "accept"
	IntakeSupplement = "supplement" // request_supplement, the applicant supplements, then accept
	IntakeRefuse     = "refuse"
)

// Plan is everything chosen for one simulated dossier before it starts:
// the choices depend only on the seed and the dossier's index, never on
// timing, so the same seed gives the same sequence of dossiers.
type Plan struct {
	Index        int    `json:"index"`
	Procedure    string `json:"procedure"`
	Channel      string `json:"channel"`
	ReturnMethod string `json:"return_method"`
	Intake       string `json:"intake"`
	// ReviewSupplement: the first reviewer asks for a supplement once.
	ReviewSupplement bool `json:"review_supplement"`
	// Withdraw: the applicant withdraws during review.
	Withdraw    bool   `json:"withdraw"`
	FeeUnits    int    `json:"fee_units,omitempty"`
	AssessedFee int64  `json:"assessed_fee,omitempty"`
	Applicant   string `json:"applicant"`
	IDNumber    string `json:"id_number"`
	Phone       string `json:"phone"`
}

var (
	familyNames = []string{"Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Võ", "Đặng", "Bùi"}
	middleNames = []string{"Văn", "Thị", "Minh", "Ngọc", "Hữu", "Thanh", "Quốc", "Gia"}
	givenNames  = []string{"An", "Bình", "Chi", "Dũng", "Hà", "Hùng", "Lan", "Long", "Mai", "Nam", "Phúc", "Quân", "Thảo", "Trang", "Tuấn", "Vy"}
)

// PlanFor is the plan of dossier i under seed.
func PlanFor(seed uint64, i int) Plan {
	r := rand.New(rand.NewPCG(seed, uint64(i)))
	total := 0
	for _, p := range procedures {
		total += p.weight
	}
	n := r.IntN(total)
	var proc procedure
	for _, p := range procedures {
		if n < p.weight {
			proc = p
			break
		}
		n -= p.weight
	}
	p := Plan{Index: i, Procedure: proc.code}
	switch c := r.IntN(100); {
	case c < 65:
		p.Channel = "online"
	case c < 90:
		p.Channel = "counter"
	default:
		p.Channel = "postal"
	}
	p.ReturnMethod = proc.returns[r.IntN(len(proc.returns))]
	switch c := r.IntN(100); {
	case c < 1:
		p.Intake = IntakeRefuse
	case c < 5:
		p.Intake = IntakeSupplement
	default:
		p.Intake = IntakeAccept
	}
	p.ReviewSupplement = r.IntN(100) < 2
	p.Withdraw = r.IntN(100) < 3
	if proc.perUnit {
		p.FeeUnits = 1 + r.IntN(5)
	}
	if proc.assessed {
		p.AssessedFee = int64(1+r.IntN(200)) * 100000
	}
	p.Applicant = familyNames[r.IntN(len(familyNames))] + " " + middleNames[r.IntN(len(middleNames))] + " " + givenNames[r.IntN(len(givenNames))]
	p.IDNumber = fmt.Sprintf("0%02d%09d", 1+r.IntN(96), r.IntN(1_000_000_000))
	p.Phone = fmt.Sprintf("09%08d", r.IntN(100_000_000))
	return p
}

// Plans is the first n plans under seed.
func Plans(seed uint64, n int) []Plan {
	out := make([]Plan, n)
	for i := range out {
		out[i] = PlanFor(seed, i)
	}
	return out
}
