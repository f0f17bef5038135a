// Command gen writes the JSON schemas deploy/kubeconform/schemas holds, for
// kubeconform to validate the rendered Kubernetes manifests offline (the
// machines reach only the package registries). It reads Kubernetes' own
// OpenAPI document, api/openapi-spec/swagger.json of the Go module
// k8s.io/kubernetes, and writes one standalone, strict schema per kind the
// manifests use: references inlined, descriptions dropped, and unknown
// fields refused (additionalProperties: false), so a misspelt field fails.
//
//	scripts/k8s-schemas.sh   # downloads the module, runs this, rewrites schemas/
package main

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// kinds are the definitions written, as kubeconform names their files
// ({kind}-{group}-{version}.json, the core group without one).
var kinds = map[string]string{
	"io.k8s.api.apps.v1.Deployment":                     "deployment-apps-v1",
	"io.k8s.api.batch.v1.Job":                           "job-batch-v1",
	"io.k8s.api.core.v1.Service":                        "service-v1",
	"io.k8s.api.core.v1.ConfigMap":                      "configmap-v1",
	"io.k8s.api.core.v1.Secret":                         "secret-v1",
	"io.k8s.api.core.v1.Namespace":                      "namespace-v1",
	"io.k8s.api.autoscaling.v2.HorizontalPodAutoscaler": "horizontalpodautoscaler-autoscaling-v2",
	"io.k8s.api.policy.v1.PodDisruptionBudget":          "poddisruptionbudget-policy-v1",
}

func main() {
	if len(os.Args) != 3 {
		fmt.Fprintln(os.Stderr, "usage: gen SWAGGER.json OUTDIR")
		os.Exit(2)
	}
	if err := run(os.Args[1], os.Args[2]); err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

func run(swagger, out string) error {
	raw, err := os.ReadFile(swagger)
	if err != nil {
		return err
	}
	var doc struct {
		Definitions map[string]any `json:"definitions"`
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		return err
	}
	for def, file := range kinds {
		d, ok := doc.Definitions[def]
		if !ok {
			return fmt.Errorf("no definition %s", def)
		}
		s, err := inline(d, doc.Definitions, 0)
		if err != nil {
			return fmt.Errorf("%s: %w", def, err)
		}
		b, err := json.MarshalIndent(s, "", " ")
		if err != nil {
			return err
		}
		if err := os.WriteFile(filepath.Join(out, file+".json"), append(b, '\n'), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// inline resolves every $ref of v, drops descriptions and makes objects
// with known properties strict.
func inline(v any, defs map[string]any, depth int) (any, error) {
	if depth > 64 {
		return nil, fmt.Errorf("references nest too deep (a cycle?)")
	}
	switch t := v.(type) {
	case map[string]any:
		if ref, ok := t["$ref"].(string); ok {
			name := strings.TrimPrefix(ref, "#/definitions/")
			switch name {
			case "io.k8s.apimachinery.pkg.util.intstr.IntOrString":
				return map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "integer"}}}, nil
			case "io.k8s.apimachinery.pkg.api.resource.Quantity":
				return map[string]any{"oneOf": []any{map[string]any{"type": "string"}, map[string]any{"type": "number"}}}, nil
			}
			d, ok := defs[name]
			if !ok {
				return nil, fmt.Errorf("unknown reference %s", ref)
			}
			return inline(d, defs, depth+1)
		}
		out := map[string]any{}
		for k, x := range t {
			if k == "description" || strings.HasPrefix(k, "x-kubernetes-") {
				continue
			}
			if k == "properties" {
				props := map[string]any{}
				for name, p := range x.(map[string]any) {
					s, err := inline(p, defs, depth+1)
					if err != nil {
						return nil, err
					}
					props[name] = s
				}
				out[k] = props
				continue
			}
			s, err := inline(x, defs, depth+1)
			if err != nil {
				return nil, err
			}
			out[k] = s
		}
		if _, ok := out["properties"]; ok {
			if _, set := out["additionalProperties"]; !set {
				out["additionalProperties"] = false
			}
		}
		return out, nil
	case []any:
		out := make([]any, len(t))
		for i, x := range t {
			s, err := inline(x, defs, depth+1)
			if err != nil {
				return nil, err
			}
			out[i] = s
		}
		return out, nil
	}
	return v, nil
}
