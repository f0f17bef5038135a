package api

import (
	"encoding/json"
	"errors"
	"log/slog"
	"net/http"

	"github.com/motcua/motcua/dossier"
)

// problem is an RFC 9457 problem details body.
type problem struct {
	Type     string               `json:"type"`
	Title    string               `json:"title"`
	Status   int                  `json:"status"`
	Detail   string               `json:"detail,omitempty"`
	Instance string               `json:"instance,omitempty"`
	Errors   []dossier.FieldError `json:"errors,omitempty"`
}

// statusOf is the one mapping from application error codes to HTTP statuses.
var statusOf = map[dossier.ErrorCode]int{
	dossier.EInvalid:         http.StatusBadRequest,
	dossier.EUnauthenticated: http.StatusUnauthorized,
	dossier.EForbidden:       http.StatusForbidden,
	dossier.ENotFound:        http.StatusNotFound,
	dossier.EConflict:        http.StatusConflict,
	dossier.ETooLarge:        http.StatusRequestEntityTooLarge,
	dossier.EUnprocessable:   http.StatusUnprocessableEntity,
	dossier.EUnsupported:     http.StatusUnsupportedMediaType,
	dossier.EUnavailable:     http.StatusServiceUnavailable,
	dossier.EInternal:        http.StatusInternalServerError,
}

// writeError answers with a problem+json body. Application errors say what
// to fix; anything else is logged and shown only as "internal error".
func writeError(w http.ResponseWriter, r *http.Request, log *slog.Logger, err error) {
	code := dossier.ErrorCodeOf(err)
	status := statusOf[code]
	p := problem{
		Type:     "https://motcua.example/problems/" + string(code),
		Title:    http.StatusText(status),
		Status:   status,
		Instance: r.URL.Path,
	}
	var e *dossier.Error
	if errors.As(err, &e) && code != dossier.EInternal {
		p.Detail = e.Message
		p.Errors = e.Fields
	} else {
		log.Error("internal error", "method", r.Method, "path", r.URL.Path, "error", err)
		p.Detail = "internal error; the request was logged"
	}
	if status == http.StatusServiceUnavailable {
		w.Header().Set("Retry-After", "5")
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}

// writeJSON answers with a JSON body.
func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
