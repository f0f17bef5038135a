package api

import (
	"net/http"

	"github.com/go-chi/chi/v5"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/workflows"
)

type returnMethodRequest struct {
	Method        string `json:"method"`
	Reason        string `json:"reason"`
	ReturnAddress string `json:"return_address"`
	// PayOnDelivery: with postal return, the fee is paid to the postman on
	// delivery (procedures with cash_on_delivery).
	PayOnDelivery bool `json:"pay_on_delivery"`
}

// returnMethod changes how the result reaches the applicant, before it is
// ready, among the methods the procedure allows (the workflow decides).
// Postal return needs an address: the one on file, or return_address,
// recorded only once the workflow accepted the change.
func (s *Server) returnMethod(w http.ResponseWriter, r *http.Request) {
	code := chi.URLParam(r, "code")
	d, ok := s.authorizedDossier(w, r, code, auth.ReturnMethod)
	if !ok {
		return
	}
	var req returnMethodRequest
	arg, err := decodeChecked(w, r, func(r *http.Request, in *returnMethodRequest, v *dossier.Invalid) (any, error) {
		arg, err := checkReturnMethod(r, in, v)
		if in.Method == string(dossier.ReturnPostal) && in.ReturnAddress == "" && d.ReturnAddress == "" {
			v.Add("return_address", "is required for postal return: the dossier has no address on file")
		}
		req = *in
		return arg, err
	})
	if err != nil {
		writeError(w, r, s.log, err)
		return
	}
	ctx := r.Context()
	if err := s.sendUpdate(ctx, code, workflows.UpdateReturnMethod, updateID(r, workflows.UpdateReturnMethod), arg); err != nil {
		writeError(w, r, s.log, err)
		return
	}
	if req.ReturnAddress != "" {
		if err := s.store.SetReturnAddress(ctx, code, req.ReturnAddress); err != nil {
			writeError(w, r, s.log, s.unavailable(err))
			return
		}
	}
	after, err := s.store.Dossier(ctx, code)
	if err != nil {
		writeError(w, r, s.log, s.unavailable(err))
		return
	}
	writeJSON(w, http.StatusOK, renderDossier(after, seesIdentityNumber(r, after)))
}

func checkReturnMethod(r *http.Request, req *returnMethodRequest, v *dossier.Invalid) (any, error) {
	method := dossier.ReturnMethod(req.Method)
	if !method.Valid() {
		v.Add("method", "must be postal, counter or electronic")
	}
	checkText(v, "reason", req.Reason, false)
	checkText(v, "return_address", req.ReturnAddress, false)
	if method != dossier.ReturnPostal && req.ReturnAddress != "" {
		v.Add("return_address", "is only for postal return")
	}
	if req.PayOnDelivery && method != dossier.ReturnPostal {
		v.Add("pay_on_delivery", "goes with method postal only: the postman collects the fee")
	}
	return workflows.ReturnMethodChange{Method: method, Reason: req.Reason, Actor: actorOf(r), PayOnDelivery: req.PayOnDelivery}, nil
}

type feeExemptionRequest struct {
	Amount     *int64 `json:"amount"`
	Reason     string `json:"reason"`
	LegalBasis string `json:"legal_basis"`
}

// feeExemption is the intake officer's exemption or reduction of one
// dossier's fee, before it is asked for; the workflow refuses one without
// its reason and legal basis (422) and records nothing.
func (s *Server) feeExemption() http.HandlerFunc {
	return action(s, auth.FeeExemption, workflows.UpdateFeeExemption, checkFeeExemption)
}

func checkFeeExemption(r *http.Request, req *feeExemptionRequest, v *dossier.Invalid) (any, error) {
	checkText(v, "reason", req.Reason, false)
	checkText(v, "legal_basis", req.LegalBasis, false)
	if req.Amount == nil || *req.Amount < 0 {
		v.Add("amount", "is required: the fee after the exemption (0) or reduction, whole VND")
		return nil, nil
	}
	return workflows.FeeExemption{Amount: *req.Amount, Reason: req.Reason, LegalBasis: req.LegalBasis, Actor: actorOf(r)}, nil
}
