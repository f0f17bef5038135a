// Package grafana holds the Grafana dashboard of motcua
// (motcua-dashboard.json), embedded so that `motcua bench dashboard`
// evaluates the panels operators import, not a copy that drifts.
package grafana

import _ "embed"

// Dashboard is deploy/grafana/motcua-dashboard.json.
//
//go:embed motcua-dashboard.json
var Dashboard []byte
