package codec

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/cors"
	commonpb "go.temporal.io/api/common/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/dossier"
)

// maxBody bounds a request: the UI decodes one event's payloads at a time.
const maxBody = 4 << 20

// HandlerOptions configure the codec endpoint.
type HandlerOptions struct {
	// Verifier checks the caller's token; nil refuses every request (no
	// way to authenticate is configured).
	Verifier auth.Verifier
	// Origins are the Temporal UI origins allowed to call from a browser
	// (CORS), e.g. http://127.0.0.1:8233.
	Origins []string
	// TokenInPath also accepts the token as a path segment,
	// <mount>/t/<token>/decode. The Temporal UI of the CLI's dev server
	// cannot send an Authorization header (it has no login to take a token
	// from, and its flags cannot turn on passAccessToken or
	// includeCredentials), so `make dev` puts an ops token in the endpoint
	// URL. A token in a URL ends up in the UI's settings, browser history
	// and process lists: development only.
	TokenInPath bool
	Log         *slog.Logger
}

// Handler serves Temporal's remote codec protocol for the Web UI and the
// CLI: POST <mount>/decode and <mount>/encode with a body and response of
// {"payloads":[...]} in protobuf JSON. The caller must be an ops principal
// (auth.DecodePayloads). Mount it outside /v1, e.g. at /codec.
//
// The SDK has converter.NewPayloadCodecHTTPHandler, but it answers errors in
// plain text with internal detail and reads bodies of any size; this one
// speaks problem+json like the rest of the API.
func Handler(c *Codec, o HandlerOptions) http.Handler {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	h := &handler{codec: c, verifier: o.Verifier, log: log}
	r := chi.NewRouter()
	// Preflights carry no credentials: answered here, before authentication.
	// The UI sends Content-Type: application/json and X-Namespace, and
	// Authorization (plus Authorization-Extras, the ID token) when
	// passAccessToken is on.
	r.Use(cors.Handler(cors.Options{
		AllowedOrigins: o.Origins,
		AllowedMethods: []string{http.MethodPost},
		AllowedHeaders: []string{"Content-Type", "X-Namespace", "Authorization", "Authorization-Extras"},
		MaxAge:         600,
	}))
	r.Post("/decode", h.serve(h.codec.Decode, bearer))
	r.Post("/encode", h.serve(h.codec.Encode, bearer))
	if o.TokenInPath {
		r.Post("/t/{token}/decode", h.serve(h.codec.Decode, pathToken))
		r.Post("/t/{token}/encode", h.serve(h.codec.Encode, pathToken))
	}
	r.NotFound(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, log, dossier.Errorf(dossier.ENotFound, "the codec endpoint serves POST .../decode and .../encode"))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, log, dossier.Errorf(dossier.EInvalid, "the codec endpoint takes POST (and CORS preflight OPTIONS)"))
	})
	return r
}

type handler struct {
	codec    *Codec
	verifier auth.Verifier
	log      *slog.Logger
}

func bearer(r *http.Request) (string, error) { return auth.BearerToken(r.Header.Get("Authorization")) }

func pathToken(r *http.Request) (string, error) { return chi.URLParam(r, "token"), nil }

func (h *handler) serve(convert func([]*commonpb.Payload) ([]*commonpb.Payload, error), token func(*http.Request) (string, error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		if err := h.authorize(r, token); err != nil {
			writeProblem(w, h.log, err)
			return
		}
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxBody))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				writeProblem(w, h.log, &dossier.Error{Code: dossier.ETooLarge, Message: "the body is larger than 4 MiB; send fewer payloads at a time"})
				return
			}
			writeProblem(w, h.log, dossier.Errorf(dossier.EInvalid, "the body could not be read"))
			return
		}
		var in commonpb.Payloads
		if err := protojson.Unmarshal(body, &in); err != nil {
			writeProblem(w, h.log, dossier.Errorf(dossier.EInvalid, "the body must be {\"payloads\":[...]} in Temporal's JSON payload format: %v", err))
			return
		}
		out, err := convert(in.GetPayloads())
		if err != nil {
			// The codec's errors name key ids and payload positions only.
			writeProblem(w, h.log, dossier.Errorf(dossier.EUnprocessable, "%v", err))
			return
		}
		b, err := protojson.Marshal(&commonpb.Payloads{Payloads: out})
		if err != nil {
			writeProblem(w, h.log, err)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		// Decoded payloads are personal data: never cached.
		w.Header().Set("Cache-Control", "no-store")
		_, _ = w.Write(b)
	}
}

func (h *handler) authorize(r *http.Request, token func(*http.Request) (string, error)) error {
	if h.verifier == nil {
		return &dossier.Error{Code: dossier.EUnavailable, Message: "no token verifier is configured (MOTCUA_JWT_SECRET or MOTCUA_OIDC_ISSUER)"}
	}
	t, err := token(r)
	if err != nil {
		return err
	}
	p, err := h.verifier.Verify(r.Context(), t)
	if err != nil {
		return err
	}
	if err := auth.Authorize(p, auth.DecodePayloads, auth.Facts{}); err != nil {
		return err
	}
	// Who read personal data is worth knowing afterwards.
	h.log.Info("codec request", "op", chi.RouteContext(r.Context()).RoutePattern(), "subject", p.Subject, "role", p.Role,
		"namespace", r.Header.Get("X-Namespace"))
	return nil
}

// problem is an RFC 9457 problem details body, as the API writes them. The
// request path is left out: it may carry a token.
type problem struct {
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
}

var statusOf = map[dossier.ErrorCode]int{
	dossier.EInvalid:         http.StatusBadRequest,
	dossier.EUnauthenticated: http.StatusUnauthorized,
	dossier.EForbidden:       http.StatusForbidden,
	dossier.ENotFound:        http.StatusNotFound,
	dossier.ETooLarge:        http.StatusRequestEntityTooLarge,
	dossier.EUnprocessable:   http.StatusUnprocessableEntity,
	dossier.EUnavailable:     http.StatusServiceUnavailable,
}

func writeProblem(w http.ResponseWriter, log *slog.Logger, err error) {
	code := dossier.ErrorCodeOf(err)
	status, ok := statusOf[code]
	var e *dossier.Error
	p := problem{Type: "https://motcua.example/problems/" + string(code)}
	if ok && errors.As(err, &e) {
		p.Detail = e.Message
	} else {
		status = http.StatusInternalServerError
		p.Type = "https://motcua.example/problems/" + string(dossier.EInternal)
		log.Error("codec endpoint: internal error", "error", err)
		p.Detail = "internal error; the request was logged"
	}
	p.Status, p.Title = status, http.StatusText(status)
	if status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="motcua codec"`)
	}
	w.Header().Set("Content-Type", "application/problem+json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(p)
}
