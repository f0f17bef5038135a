package api

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/go-chi/chi/v5"
	"github.com/go-chi/chi/v5/middleware"

	"github.com/motcua/motcua/api/openapi"
	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/dossier"
)

// Handler returns every route of the API. The OpenAPI document lists the
// same routes; a test keeps the two in step.
func (s *Server) Handler() http.Handler {
	r := chi.NewRouter()
	r.Use(middleware.RequestID)
	r.Use(forwardedClient(s.trustedProxies))
	r.Use(s.recoverer)
	r.Use(s.metrics.middleware)

	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Method(http.MethodGet, "/openapi.json", openapi.Handler())
	r.Method(http.MethodGet, "/docs", openapi.DocsHandler())

	if s.codec != nil {
		// Temporal's codec protocol, not part of /v1: authenticates by itself.
		r.Mount("/codec", s.codec)
	}

	submissions := submissionLimit(s.submitRate)
	// Uploads: the same allowance as submissions, counted on their own.
	uploadLimit := submissionLimit(s.submitRate)
	lookups := newRateLimiter(s.lookupRate, time.Minute, "lookups from this address", clientIP)
	verifications := newRateLimiter(s.lookupRate, time.Minute, "verifications from this address", clientIP)

	r.Route("/v1", func(r chi.Router) {
		// Without a token: the applicant's public lookup (rate-limited per
		// IP) and the callbacks, which their senders sign instead.
		r.With(lookups.middleware).Get("/public/dossiers/{code}", s.publicDossier)
		r.With(lookups.middleware).Get("/public/dossiers/{code}/result", s.publicResult)
		r.With(verifications.middleware).Post("/public/verify", s.verifyPDF)
		// The signature first: a forged callback is 401 whatever is down.
		r.With(s.signed("payment gateway", s.paymentSecret), s.requireTemporal).
			Post("/payments/notifications", s.paymentNotification)
		r.With(s.signed("payment gateway", s.paymentSecret), s.requireTemporal).
			Post("/payments/refund-notifications", s.refundNotification)
		r.With(s.signed("messaging provider", s.receiptSecret)).Post("/notifications/receipts", s.notificationReceipt)
		r.With(s.signed("postal service", s.postalSecret), s.requireTemporal).
			Post("/postal/notifications", s.postalNotification)

		// Everything else needs a bearer token; what the caller may do is
		// decided by auth.Authorize, called from the handlers (actions on
		// one dossier) or here (actions on none).
		r.Group(func(r chi.Router) {
			r.Use(s.authenticate)
			// Limited per token subject and per address (after
			// authentication, so the subject is known).
			r.With(submissions, s.requireTemporal).Post("/dossiers", s.submit)
			r.Get("/dossiers", s.listDossiers)
			r.Get("/dossiers/{code}", s.getDossier)
			r.Get("/dossiers/{code}/events", s.getEvents)
			r.Get("/dossiers/{code}/events.csv", s.getEventsCSV)
			r.Group(func(r chi.Router) {
				// Actions go to the workflows: refused at once (503) while
				// Temporal is known to be down.
				r.Use(s.requireTemporal)
				r.Post("/dossiers/{code}/intake", s.intake())
				r.Post("/dossiers/{code}/review", s.review())
				r.Post("/dossiers/{code}/approval", s.approval())
				r.Post("/dossiers/{code}/handover", s.handover())
				r.Post("/dossiers/{code}/supplement", s.supplement())
				r.Post("/dossiers/{code}/apology", s.apology())
				r.Post("/dossiers/{code}/extension", s.extension())
				r.Post("/dossiers/{code}/withdrawal", s.withdrawal())
				r.Post("/dossiers/{code}/stop", s.stop())
				r.Post("/dossiers/{code}/payment", s.counterPayment())
				r.Post("/dossiers/{code}/assignment", s.assignment())
				r.Post("/dossiers/{code}/return-method", s.returnMethod)
				r.Post("/dossiers/{code}/fee-exemption", s.feeExemption())
			})
			r.Get("/dossiers/{code}/result", s.getResult)
			// Documents' files (api/documents.go).
			r.With(uploadLimit).Post("/uploads", s.postUpload)
			r.Put("/dossiers/{code}/documents/{sha256}", s.putDocument)
			r.Get("/dossiers/{code}/documents/{sha256}", s.getDocument)
			r.Get("/dossiers/{code}/result.pdf", s.getResultFile)
			r.Get("/dossiers/{code}/forms/{number}", s.getForm)
			r.With(s.require(auth.ReadReports)).Get("/agencies/{code}/logbook", s.getLogbook)
			r.Get("/procedures", s.listProcedures)
			r.Get("/procedures/{code}", s.getProcedure)
			r.Get("/calendar/appointment", s.appointment)
			r.Get("/calendar/{year}", s.getCalendarYear)
			r.With(s.require(auth.ReadReports)).Get("/reports/summary", s.reportSummary)
			r.With(s.require(auth.ReadReports)).Get("/reports/summary.csv", s.reportSummaryCSV)
			r.With(s.require(auth.ReadReports)).Get("/reports/summary.xlsx", s.reportSummaryXLSX)
			r.With(s.require(auth.ReadReports)).Get("/reports/monthly", s.reportMonthly)
			r.With(s.require(auth.WriteCatalog)).Post("/procedures", s.createProcedure)
			r.With(s.require(auth.WriteCatalog)).Put("/procedures/{code}", s.replaceProcedure)
			r.With(s.require(auth.WriteCalendar)).Put("/calendar/{year}", s.putCalendarYear)
			r.With(s.require(auth.SuspendPostal), s.requireTemporal).Post("/postal/suspensions", s.createPostalSuspension)
			r.With(s.require(auth.ReadCatalog)).Get("/postal/suspensions", s.listPostalSuspensions)
			r.With(s.require(auth.SuspendPostal)).Post("/postal/suspensions/{id}/end", s.endPostalSuspension)
			r.With(s.require(auth.ReadNotifications)).Get("/notifications", s.listNotifications)
			r.With(s.require(auth.ReadPortalSync)).Get("/portal-sync", s.listPortalSync)
		})
	})

	r.NotFound(func(w http.ResponseWriter, req *http.Request) {
		writeError(w, req, s.log, dossier.Errorf(dossier.ENotFound, "no route %s; see /docs for the API", req.URL.Path))
	})
	r.MethodNotAllowed(func(w http.ResponseWriter, req *http.Request) {
		writeError(w, req, s.log, &dossier.Error{Code: dossier.EInvalid,
			Message: fmt.Sprintf("method %s is not allowed on %s; see /docs for the API", req.Method, req.URL.Path)})
	})
	return r
}

// recoverer turns a panic into a logged internal error, never a dropped
// connection or a stack trace to the client.
func (s *Server) recoverer(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		defer func() {
			if v := recover(); v != nil {
				if v == http.ErrAbortHandler {
					panic(v)
				}
				writeError(w, r, s.log, fmt.Errorf("panic: %v", v))
			}
		}()
		next.ServeHTTP(w, r)
	})
}

// AdminHandler is what the admin listener (MOTCUA_ADMIN_ADDR) serves:
// /metrics, which shows internals (routes, error rates, the Temporal
// client's figures) and so stays off the public port, and the two probes
// again, so a platform can probe and scrape one port.
func (s *Server) AdminHandler() http.Handler {
	r := chi.NewRouter()
	r.Use(s.recoverer)
	r.Get("/healthz", s.healthz)
	r.Get("/readyz", s.readyz)
	r.Method(http.MethodGet, "/metrics", s.metrics.handler())
	return r
}

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	_, _ = w.Write([]byte("ok\n"))
}

// readyz is the readiness probe. It stays 200 while PostgreSQL or Temporal
// is down ("degraded", with the checks saying which): every replica
// shares those dependencies, so failing readiness would take all of them
// out of the Service at once, and clients would get the load balancer's
// bare 502 instead of the API's own 503 with Retry-After on exactly the
// routes that need the missing dependency (reads from PostgreSQL go on
// while Temporal is down). ?strict=true answers 503 instead, for scripts
// and probes that wait for the whole stack (make dev, make chaos).
func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	strict := false
	if v := r.URL.Query().Get("strict"); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			writeError(w, r, s.log, dossier.Errorf(dossier.EInvalid, "strict must be true or false, not %q", v))
			return
		}
		strict = b
	}
	checks := s.readiness(r.Context())
	status := "ready"
	for name, v := range checks {
		if v == "ok" {
			continue
		}
		if strict {
			writeError(w, r, s.log, dossier.Errorf(dossier.EUnavailable, "%s is unavailable", name))
			return
		}
		status = "degraded"
	}
	writeJSON(w, http.StatusOK, map[string]any{"status": status, "checks": checks})
}
