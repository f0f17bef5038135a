package main

import (
	"log/slog"
	"net/http"
	"strings"

	"github.com/motcua/motcua/auth"
	"github.com/motcua/motcua/codec"
	"github.com/motcua/motcua/config"
)

// newCodecHandler is the Temporal UI's codec endpoint the api command
// serves at /codec (see the README, Payload encryption).
// It decodes with pc, the codec the API's Temporal client uses.
func newCodecHandler(pc *codec.Codec, cfg config.Config, verifier auth.Verifier, log *slog.Logger) http.Handler {
	var origins []string
	for _, o := range strings.Split(cfg.CodecCORSOrigins, ",") {
		if o = strings.TrimSpace(o); o != "" {
			origins = append(origins, o)
		}
	}
	return codec.Handler(pc, codec.HandlerOptions{
		Verifier: verifier, Origins: origins, Log: log,
		// A token in the URL is how the dev server's UI authenticates
		// (it cannot send a header); production UIs send their own
		// access token (passAccessToken).
		TokenInPath: cfg.Environment == "development",
	})
}
