package deploy_test

import (
	"fmt"
	"os"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
)

// helmChartVersion is the version of the Temporal Helm chart
// deploy/helm/temporal-values.yaml is written for: the last 0.x chart
// (server 1.29.1, the server `make prod-local` runs), whose persistence
// section is server.config.persistence.default/visibility with a driver.
// The 1.x charts moved to server.config.persistence.datastores and fail to
// render these values, so the install command pins it.
const helmChartVersion = "0.72.0"

// helmReadWithoutDefault are keys the chart's templates (version
// helmChartVersion) read that its values.yaml does not list, so the
// unknown-key check lets them through: the key of the password in
// existingSecret (templates/_helpers.tpl, "temporal.persistence.sql.secretKey"),
// each service's replicaCount (server-deployment.yaml, over
// server.replicaCount) and the dynamic configuration
// (server-dynamicconfigmap.yaml).
var helmReadWithoutDefault = map[string]bool{
	"server.config.persistence.default.sql.secretKey":    true,
	"server.config.persistence.visibility.sql.secretKey": true,
	"server.frontend.replicaCount":                       true,
	"server.history.replicaCount":                        true,
	"server.matching.replicaCount":                       true,
	"server.worker.replicaCount":                         true,
	"server.dynamicConfig":                               true,
}

// Every key of our values exists in the pinned chart version's values.yaml
// (vendored in deploy/helm/chart/), with a value of the same kind: a key the
// chart does not know (a typo, or the 1.x datastores format given to the
// 0.x chart) is silently ignored by helm, and the cluster would come up
// on the chart's defaults (Cassandra).
func TestHelmValuesMatchThePinnedChart(t *testing.T) {
	chart := docs(t, "helm/chart/temporal-"+helmChartVersion+"-values.yaml")[0]
	ours := docs(t, "helm/temporal-values.yaml")[0]
	unknown := helmUnknownKeys("", ours, chart)
	require.Empty(t, unknown, "keys of deploy/helm/temporal-values.yaml that chart %s does not have", helmChartVersion)

	// The check can fail: the 1.x format and a typo are caught.
	bad := map[string]any{"server": map[string]any{"config": map[string]any{
		"persistence":     map[string]any{"datastores": map[string]any{}},
		"numHistoryShard": 4}}}
	require.ElementsMatch(t, []string{"server.config.persistence.datastores", "server.config.numHistoryShard"},
		helmUnknownKeys("", bad, chart))
	require.NotEmpty(t, helmUnknownKeys("", map[string]any{"server": map[string]any{"replicaCount": "two"}}, chart),
		"a string where the chart has a number")

	// The install instructions pin the same version.
	raw, err := os.ReadFile("helm/temporal-values.yaml")
	require.NoError(t, err)
	installs := regexp.MustCompile(`helm (?:install|upgrade)[^\n]*`).FindAllString(string(raw), -1)
	require.NotEmpty(t, installs)
	for _, cmd := range installs {
		require.Contains(t, cmd, "--version "+helmChartVersion, "every helm install/upgrade in the values file pins the chart")
	}
	for _, doc := range []string{"../README.md", "../docs/OPERATIONS.md"} {
		raw, err := os.ReadFile(doc)
		require.NoError(t, err)
		for _, cmd := range regexp.MustCompile(`helm (?:install|upgrade) [^\n]*temporal/temporal[^\n]*`).FindAllString(string(raw), -1) {
			require.Contains(t, cmd, "--version "+helmChartVersion, "%s: %s", doc, cmd)
		}
	}
}

// helmUnknownKeys lists the dotted paths of ours that chart lacks or gives
// a value of another kind. Below an empty map of the chart (a free-form
// section such as dynamicConfig or additionalStores) anything goes.
func helmUnknownKeys(prefix string, ours, chart map[string]any) []string {
	var out []string
	keys := make([]string, 0, len(ours))
	for k := range ours {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		path := strings.TrimPrefix(prefix+"."+k, ".")
		if helmReadWithoutDefault[path] {
			continue
		}
		def, ok := chart[k]
		if !ok {
			out = append(out, path)
			continue
		}
		ov := ours[k]
		switch dv := def.(type) {
		case map[string]any:
			om, isMap := ov.(map[string]any)
			switch {
			case ov == nil:
			case !isMap:
				out = append(out, path+" (the chart has a map)")
			case len(dv) > 0:
				out = append(out, helmUnknownKeys(path, om, dv)...)
			}
		case nil:
			// No default (null): any value.
		default:
			if ov != nil && helmKind(ov) != helmKind(def) {
				out = append(out, fmt.Sprintf("%s (%s where the chart has %s)", path, helmKind(ov), helmKind(def)))
			}
		}
	}
	return out
}

// helmKind names a YAML value's kind; integers and floats are both numbers.
func helmKind(v any) string {
	switch v.(type) {
	case int, int64, uint64, float64:
		return "a number"
	case string:
		return "a string"
	case bool:
		return "a boolean"
	case []any:
		return "a list"
	case map[string]any:
		return "a map"
	}
	return fmt.Sprintf("%T", v)
}
