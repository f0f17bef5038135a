package api

import (
	"log/slog"
	"net/http"
)

// ActionBodies are what each dossier action does with its body before it
// reads or changes anything (decodeChecked with the action's check), by
// the action's path segment, for the fuzz test: an action looks the
// dossier up and authorizes the caller before it reads the body, so the
// router alone cannot reach this code with arbitrary bodies.
var ActionBodies = map[string]func(w http.ResponseWriter, r *http.Request) (any, error){
	"intake":     func(w http.ResponseWriter, r *http.Request) (any, error) { return decodeChecked(w, r, checkIntake) },
	"review":     func(w http.ResponseWriter, r *http.Request) (any, error) { return decodeChecked(w, r, checkReview) },
	"approval":   func(w http.ResponseWriter, r *http.Request) (any, error) { return decodeChecked(w, r, checkApproval) },
	"handover":   func(w http.ResponseWriter, r *http.Request) (any, error) { return decodeChecked(w, r, checkHandover) },
	"supplement": func(w http.ResponseWriter, r *http.Request) (any, error) { return decodeChecked(w, r, checkSupplement) },
	"apology":    func(w http.ResponseWriter, r *http.Request) (any, error) { return decodeChecked(w, r, checkApology) },
	"extension":  func(w http.ResponseWriter, r *http.Request) (any, error) { return decodeChecked(w, r, checkExtension) },
	"withdrawal": func(w http.ResponseWriter, r *http.Request) (any, error) { return decodeChecked(w, r, checkWithdrawal) },
	"stop":       func(w http.ResponseWriter, r *http.Request) (any, error) { return decodeChecked(w, r, checkStop) },
	"payment": func(w http.ResponseWriter, r *http.Request) (any, error) {
		return decodeChecked(w, r, checkCounterPayment)
	},
	"assignment": func(w http.ResponseWriter, r *http.Request) (any, error) { return decodeChecked(w, r, checkAssignment) },
	"return-method": func(w http.ResponseWriter, r *http.Request) (any, error) {
		return decodeChecked(w, r, checkReturnMethod)
	},
	"fee-exemption": func(w http.ResponseWriter, r *http.Request) (any, error) {
		return decodeChecked(w, r, checkFeeExemption)
	},
}

// WriteError is writeError, for tests that answer an error as the API does.
func WriteError(w http.ResponseWriter, r *http.Request, err error) {
	writeError(w, r, slog.New(slog.DiscardHandler), err)
}
