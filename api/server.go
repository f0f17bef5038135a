// Package api is motcua's HTTP API (v1): portals submit dossiers, staff send
// their decisions, the payment gateway and the postal service call back.
// Reads come from the PostgreSQL read model; actions go to the dossier's
// workflow as Temporal updates.
package api

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strings"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/data"
	"github.com/motcua/motcua/dossier"
	"github.com/motcua/motcua/rules"
	"github.com/motcua/motcua/store"
	"github.com/motcua/motcua/workflows"
)

// maxBody is the largest request body accepted. Dossiers carry document
// hashes, not documents, so this is generous.
const maxBody = 1 << 20

// Server serves the API.
type Server struct {
	store    *store.Store
	temporal client.Client
	log      *slog.Logger
	metrics  *metrics
	// updateTimeout bounds how long an action waits for its workflow.
	updateTimeout time.Duration
	taskQueue     string
	rules         *rules.Set
	verifier      auth.Verifier
	procs         procedureCache
	health        health
	codec         http.Handler
}

// Options configure a Server.
type Options struct {
	Store    *store.Store
	Temporal client.Client
	Log      *slog.Logger
	// TaskQueue is where dossier workflows are started; default
	// workflows.TaskQueue.
	TaskQueue string
	// Rules are the processing rules by effective date; default the ones
	// built into the binary (data/rules.yaml).
	Rules *rules.Set
	// Verifier checks bearer tokens (required): auth.NewHS256 in
	// development, auth.NewOIDC in production.
	Verifier auth.Verifier
	// UpdateTimeout bounds how long an action waits for its workflow
	// (default 15 s); past it the client gets 503 and may retry with the
	// same Idempotency-Key.
	UpdateTimeout time.Duration
	// Codec is the Temporal UI's codec endpoint (codec.Handler), served at
	// /codec; nil: not served.
	Codec http.Handler
}

// New returns a Server.
func New(o Options) *Server {
	log := o.Log
	if log == nil {
		log = slog.Default()
	}
	queue := o.TaskQueue
	if queue == "" {
		queue = workflows.TaskQueue
	}
	rs := o.Rules
	if rs == nil {
		var err error
		if rs, err = rules.Parse(data.Rules); err != nil {
			panic("the rules built into the binary do not parse: " + err.Error())
		}
	}
	if o.Verifier == nil {
		panic("api.New: Options.Verifier is required")
	}
	timeout := o.UpdateTimeout
	if timeout <= 0 {
		timeout = 15 * time.Second
	}
	return &Server{store: o.Store, temporal: o.Temporal, log: log, metrics: newMetrics(),
		updateTimeout: timeout, taskQueue: queue, rules: rs, verifier: o.Verifier, codec: o.Codec}
}

// decode reads a JSON request body into v, rejecting unknown fields,
// trailing data and bodies over maxBody with errors that say what to fix.
func decode(w http.ResponseWriter, r *http.Request, v any) error {
	r.Body = http.MaxBytesReader(w, r.Body, maxBody)
	dec := json.NewDecoder(r.Body)
	dec.DisallowUnknownFields()
	err := dec.Decode(v)
	if err == nil {
		if dec.Decode(&struct{}{}) != io.EOF {
			return dossier.Errorf(dossier.EInvalid, "the body must hold a single JSON object")
		}
		return nil
	}
	var maxErr *http.MaxBytesError
	var syntaxErr *json.SyntaxError
	var typeErr *json.UnmarshalTypeError
	switch {
	case errors.As(err, &maxErr):
		return dossier.Errorf(dossier.ETooLarge, "the body is larger than %d bytes", maxBody)
	case errors.Is(err, io.EOF):
		return dossier.Errorf(dossier.EInvalid, "the body is empty; send a JSON object")
	case errors.As(err, &syntaxErr), errors.Is(err, io.ErrUnexpectedEOF):
		return dossier.Errorf(dossier.EInvalid, "the body is not valid JSON: %v", err)
	case errors.As(err, &typeErr):
		field := typeErr.Field
		if field == "" {
			return dossier.Errorf(dossier.EInvalid, "the body must be a JSON object")
		}
		return &dossier.Error{Code: dossier.EInvalid,
			Message: fmt.Sprintf("field %s must be a %s", field, jsonType(typeErr.Type.Kind().String())),
			Fields:  []dossier.FieldError{{Field: field, Reason: "must be a " + jsonType(typeErr.Type.Kind().String())}}}
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		name := strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`)
		return &dossier.Error{Code: dossier.EInvalid, Message: fmt.Sprintf("unknown field %q", name),
			Fields: []dossier.FieldError{{Field: name, Reason: "is not a field of this request"}}}
	}
	return dossier.Errorf(dossier.EInvalid, "the body could not be read: %v", err)
}

func jsonType(kind string) string {
	switch kind {
	case "string":
		return "string"
	case "int", "int8", "int16", "int32", "int64", "uint", "uint8", "uint16", "uint32", "uint64":
		return "whole number"
	case "float32", "float64":
		return "number"
	case "bool":
		return "boolean"
	case "slice", "array":
		return "list"
	case "struct", "map", "ptr":
		return "object"
	}
	return kind
}

// readiness checks the dependencies an action needs.
func (s *Server) readiness(ctx context.Context) map[string]string {
	checks := map[string]string{"postgres": "ok", "temporal": "ok"}
	pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	if err := s.store.Ping(pctx); err != nil {
		checks["postgres"] = "unavailable"
	}
	tctx, cancel2 := context.WithTimeout(ctx, 2*time.Second)
	defer cancel2()
	if _, err := s.temporal.CheckHealth(tctx, &client.CheckHealthRequest{}); err != nil {
		checks["temporal"] = "unavailable"
	}
	return checks
}
