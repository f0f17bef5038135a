// Package deploy_test checks the deployment files offline (no container
// engine or cluster here): every YAML parses, every environment variable
// they set or the docs name is one the binary reads, every command they run
// is a real subcommand, kustomizations list files that exist, and probes,
// selectors and autoscaler targets point at what exists.
package deploy_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"go.yaml.in/yaml/v3"

	"github.com/motcua/motcua/config"
)

// variables are the environment variables the binary reads.
func variables() map[string]bool {
	out := map[string]bool{}
	for _, v := range config.Variables() {
		out[v] = true
	}
	return out
}

// subcommands are the commands `motcua COMMAND` accepts: the string cases
// of the switch in run (cmd/motcua/main.go).
func subcommands(t *testing.T) map[string]bool {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "../cmd/motcua/main.go", nil, 0)
	require.NoError(t, err)
	out := map[string]bool{}
	ast.Inspect(f, func(n ast.Node) bool {
		fn, ok := n.(*ast.FuncDecl)
		if !ok || fn.Name.Name != "run" {
			return true
		}
		ast.Inspect(fn.Body, func(n ast.Node) bool {
			if cc, ok := n.(*ast.CaseClause); ok {
				for _, e := range cc.List {
					if lit, ok := e.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						out[s] = true
					}
				}
			}
			return true
		})
		return false
	})
	require.True(t, out["api"] && out["worker"] && out["migrate"], "subcommands not found in main.go: %v", out)
	return out
}

// docs decodes every YAML document of a file.
func docs(t *testing.T, path string) []map[string]any {
	t.Helper()
	raw, err := os.ReadFile(path)
	require.NoError(t, err)
	return decodeAll(t, path, raw)
}

func decodeAll(t *testing.T, name string, raw []byte) []map[string]any {
	t.Helper()
	dec := yaml.NewDecoder(bytes.NewReader(raw))
	var out []map[string]any
	for {
		var d map[string]any
		err := dec.Decode(&d)
		if errors.Is(err, io.EOF) {
			return out
		}
		require.NoError(t, err, "%s does not parse", name)
		if d != nil {
			out = append(out, d)
		}
	}
}

func m(v any) map[string]any {
	out, _ := v.(map[string]any)
	return out
}

func list(v any) []any {
	out, _ := v.([]any)
	return out
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func TestEveryYAMLParses(t *testing.T) {
	n := 0
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		switch {
		case strings.HasSuffix(path, ".yaml"), strings.HasSuffix(path, ".yml"):
			docs(t, path)
			n++
		case strings.HasSuffix(path, ".yaml.tmpl"):
			// Templates: every @NAME@ placeholder filled, then it must parse.
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			filled := regexp.MustCompile(`@[A-Z_][A-Z0-9_]*@`).ReplaceAll(raw, []byte("1"))
			require.NotEmpty(t, decodeAll(t, path, filled))
			n++
		case strings.HasSuffix(path, ".json"):
			raw, err := os.ReadFile(path)
			require.NoError(t, err)
			require.True(t, json.Valid(raw), "%s is not valid JSON", path)
			n++
		}
		return nil
	})
	require.NoError(t, err)
	require.GreaterOrEqual(t, n, 15, "deploy/ should hold the compose, kubernetes, helm, grafana and temporal files")
}

func TestTemporalServerTemplate(t *testing.T) {
	raw, err := os.ReadFile("temporal/server.yaml.tmpl")
	require.NoError(t, err)
	filled := regexp.MustCompile(`@[A-Z_][A-Z0-9_]*@`).ReplaceAll(raw, []byte("1"))
	d := decodeAll(t, "server.yaml.tmpl", filled)[0]
	p := m(d["persistence"])
	require.Equal(t, 4, p["numHistoryShards"])
	stores := m(p["datastores"])
	require.Equal(t, "temporal", m(m(stores[str(p["defaultStore"])])["sql"])["databaseName"])
	require.Equal(t, "temporal_visibility", m(m(stores[str(p["visibilityStore"])])["sql"])["databaseName"])
	for _, svc := range []string{"frontend", "history", "matching", "worker"} {
		require.Contains(t, m(d["services"]), svc)
	}
	// Mutual TLS: the frontend refuses a client without a certificate from
	// the CA, and the server's own worker has one.
	tlsConf := m(m(d["global"])["tls"])
	for _, group := range []string{"frontend", "internode"} {
		server := m(m(tlsConf[group])["server"])
		require.Equal(t, true, server["requireClientAuth"], "%s must require client certificates", group)
		require.NotEmpty(t, server["clientCaFiles"], group)
	}
	require.NotEmpty(t, m(tlsConf["systemWorker"])["certFile"])
	// Every placeholder of the templates is filled by scripts/prod-local.sh
	// or by the function of scripts/lib.sh it starts temporal-server with.
	local, err := os.ReadFile("../scripts/prod-local.sh")
	require.NoError(t, err)
	lib, err := os.ReadFile("../scripts/lib.sh")
	require.NoError(t, err)
	script := append(local, lib...)
	for _, tmpl := range []string{"temporal/server.yaml.tmpl", "temporal/ui-server.yaml.tmpl"} {
		raw, err := os.ReadFile(tmpl)
		require.NoError(t, err)
		for _, ph := range regexp.MustCompile(`@([A-Z_][A-Z0-9_]*)@`).FindAllSubmatch(raw, -1) {
			require.True(t, strings.Contains(string(script), string(ph[1])+"="), "%s: @%s@ is never given a value", tmpl, ph[1])
		}
	}
}

func TestComposeMatchesTheBinary(t *testing.T) {
	vars, cmds := variables(), subcommands(t)
	d := docs(t, "compose.yaml")[0]
	services := m(d["services"])
	for _, want := range []string{"postgresql", "temporal-schema", "temporal", "temporal-namespace", "temporal-ui", "migrate", "seed", "api", "worker"} {
		require.Contains(t, services, want)
	}
	ours := 0
	for name, raw := range services {
		svc := m(raw)
		for dep := range m(svc["depends_on"]) {
			require.Contains(t, services, dep, "%s depends on a service that does not exist", name)
		}
		if !strings.HasPrefix(str(svc["image"]), "motcua:") {
			continue
		}
		ours++
		env := m(svc["environment"])
		require.NotEmpty(t, env, "%s sets no environment", name)
		for k := range env {
			require.True(t, vars[k], "compose service %s sets %s, which motcua does not read", name, k)
		}
		cmd := list(svc["command"])
		require.NotEmpty(t, cmd, "%s has no command", name)
		require.True(t, cmds[str(cmd[0])], "compose service %s runs `motcua %s`, not a subcommand", name, cmd[0])
		if name == "api" || name == "worker" {
			hc := list(m(svc["healthcheck"])["test"])
			require.GreaterOrEqual(t, len(hc), 3, "%s needs a health check", name)
			require.Equal(t, "healthcheck", hc[2])
		}
	}
	require.Equal(t, 4, ours, "migrate, seed, api and worker run the motcua image")
	// Two database roles: only migrate has the owner's URL.
	for _, name := range []string{"seed", "api", "worker"} {
		env := m(m(services[name])["environment"])
		require.Contains(t, str(env["DATABASE_URL"]), "postgres://motcua_app:", name)
		require.NotContains(t, env, "MOTCUA_MIGRATE_DATABASE_URL", name)
	}
	require.Contains(t, str(m(m(services["migrate"])["environment"])["MOTCUA_MIGRATE_DATABASE_URL"]), "postgres://motcua:")
	// The Temporal UI: on loopback only, read-only, sign-in configurable.
	ui := m(services["temporal-ui"])
	for _, p := range list(ui["ports"]) {
		require.True(t, strings.HasPrefix(str(p), "127.0.0.1:"), "the Temporal UI is published on %v, not loopback", p)
	}
	uiEnv := m(ui["environment"])
	require.Equal(t, "true", str(uiEnv["TEMPORAL_DISABLE_WRITE_ACTIONS"]))
	require.Contains(t, str(uiEnv["TEMPORAL_AUTH_ENABLED"]), "${TEMPORAL_UI_AUTH_ENABLED")
	initSQL, err := os.ReadFile("compose/postgres-init.sh")
	require.NoError(t, err)
	require.Contains(t, string(initSQL), "CREATE ROLE motcua_app LOGIN")
	for _, f := range []string{"compose/postgres-init.sh", "compose/temporal-schema.sh", "compose/temporal-namespace.sh",
		"compose/temporal-dynamicconfig.yaml", "temporal/search-attributes", "Dockerfile"} {
		require.FileExists(t, f)
	}
	// The example env file names only variables that compose substitutes.
	raw, err := os.ReadFile("compose.yaml")
	require.NoError(t, err)
	example, err := os.ReadFile("compose.env.example")
	require.NoError(t, err)
	for _, line := range strings.Split(string(example), "\n") {
		if k, _, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(k, "#") {
			require.Contains(t, string(raw), "${"+k, "compose.env.example sets %s, which compose.yaml never uses", k)
		}
	}
}

func TestDockerfile(t *testing.T) {
	vars, cmds := variables(), subcommands(t)
	raw, err := os.ReadFile("Dockerfile")
	require.NoError(t, err)
	s := string(raw)
	require.Regexp(t, `(?m)^FROM .* AS build$`, s, "multi-stage")
	require.Contains(t, s, "CGO_ENABLED=0", "static binary")
	user := regexp.MustCompile(`(?m)^USER (\S+)`).FindStringSubmatch(s)
	require.NotNil(t, user, "USER is set")
	require.NotContains(t, []string{"root", "0", "0:0"}, user[1], "non-root")
	require.Regexp(t, `(?m)^HEALTHCHECK .*\n?.*"healthcheck"\]`, s)
	for _, e := range regexp.MustCompile(`(?m)^\s*(?:ENV\s+)?([A-Z][A-Z0-9_]+)=`).FindAllStringSubmatch(s, -1) {
		if e[1] == "CGO_ENABLED" || e[1] == "GOOS" {
			continue
		}
		require.True(t, vars[e[1]], "Dockerfile sets %s, which motcua does not read", e[1])
	}
	cmd := regexp.MustCompile(`(?m)^CMD \["([a-z]+)"\]`).FindStringSubmatch(s)
	require.NotNil(t, cmd)
	require.True(t, cmds[cmd[1]])
}

// k8s reads every manifest a kustomization lists (recursively into bases).
func k8s(t *testing.T, dir string, seen map[string]bool) []map[string]any {
	t.Helper()
	k := docs(t, filepath.Join(dir, "kustomization.yaml"))[0]
	var out []map[string]any
	for _, r := range list(k["resources"]) {
		p := filepath.Join(dir, str(r))
		st, err := os.Stat(p)
		require.NoError(t, err, "%s/kustomization.yaml lists %s, which does not exist", dir, r)
		if st.IsDir() {
			out = append(out, k8s(t, p, seen)...)
			continue
		}
		seen[p] = true
		out = append(out, docs(t, p)...)
	}
	for _, p := range list(k["patches"]) {
		if path := str(m(p)["path"]); path != "" {
			require.FileExists(t, filepath.Join(dir, path))
			out = append(out, docs(t, filepath.Join(dir, path))...)
		}
	}
	vars := variables()
	for _, g := range list(k["configMapGenerator"]) {
		for _, lit := range list(m(g)["literals"]) {
			key, _, _ := strings.Cut(str(lit), "=")
			require.True(t, vars[key], "configMapGenerator sets %s, which motcua does not read", key)
		}
	}
	return out
}

func TestKubernetesMatchesTheBinary(t *testing.T) {
	vars, cmds := variables(), subcommands(t)
	seen := map[string]bool{}
	objs := k8s(t, "kubernetes/overlays/province", seen)
	// Every manifest in base/ is listed (none forgotten).
	files, err := filepath.Glob("kubernetes/base/*.yaml")
	require.NoError(t, err)
	for _, f := range files {
		if filepath.Base(f) != "kustomization.yaml" {
			require.True(t, seen[f], "%s is not listed in its kustomization", f)
		}
	}
	objs = append(objs, docs(t, "kubernetes/overlays/province/secret.example.yaml")...)

	byKind := map[string]map[string]map[string]any{}
	for _, o := range objs {
		kind, name := str(o["kind"]), str(m(o["metadata"])["name"])
		require.NotEmpty(t, kind)
		require.NotEmpty(t, name)
		if byKind[kind] == nil {
			byKind[kind] = map[string]map[string]any{}
		}
		byKind[kind][name] = o
		for _, sect := range []string{"data", "stringData"} {
			if kind == "ConfigMap" || kind == "Secret" {
				for k := range m(o[sect]) {
					require.True(t, vars[k], "%s %s sets %s, which motcua does not read", kind, name, k)
				}
			}
		}
	}
	podLabels := map[string]map[string]any{}
	for _, kind := range []string{"Deployment", "Job"} {
		for name, o := range byKind[kind] {
			spec := m(m(m(o["spec"])["template"])["spec"])
			sc := m(spec["securityContext"])
			require.Equal(t, true, sc["runAsNonRoot"], "%s %s must run as non-root", kind, name)
			containers := append(list(spec["initContainers"]), list(spec["containers"])...)
			for _, c := range containers {
				c := m(c)
				if str(c["image"]) != "motcua" {
					continue // the temporal-namespace Job: checked below
				}
				args := list(c["args"])
				require.NotEmpty(t, args)
				require.True(t, cmds[str(args[0])], "%s %s runs `motcua %s`, not a subcommand", kind, name, args[0])
				for _, e := range list(c["env"]) {
					require.True(t, vars[str(m(e)["name"])], "%s %s sets %s, which motcua does not read", kind, name, m(e)["name"])
				}
				refs := list(c["envFrom"])
				require.Len(t, refs, 2, "%s %s: the ConfigMap and the Secret", kind, name)
				require.Contains(t, byKind["ConfigMap"], str(m(m(refs[0])["configMapRef"])["name"]))
			}
			if kind == "Deployment" {
				podLabels[name] = m(m(m(m(o["spec"])["template"])["metadata"])["labels"])
				require.Equal(t, m(m(o["spec"])["selector"])["matchLabels"], podLabels[name], "%s selector", name)
			}
		}
	}
	// Probes: the API on /healthz and /readyz, the worker on its metrics listener.
	probe := func(dep, kind string) map[string]any {
		c := m(list(m(m(m(byKind["Deployment"][dep]["spec"])["template"])["spec"])["containers"])[0])
		return m(m(c[kind])["httpGet"])
	}
	require.Equal(t, "/healthz", probe("motcua-api", "livenessProbe")["path"])
	require.Equal(t, "/readyz", probe("motcua-api", "readinessProbe")["path"])
	require.Equal(t, "/healthz", probe("motcua-worker", "livenessProbe")["path"])
	require.Equal(t, "metrics", probe("motcua-worker", "livenessProbe")["port"])
	// The overlay creates its namespace.
	ns := str(docs(t, "kubernetes/overlays/province/kustomization.yaml")[0]["namespace"])
	require.Contains(t, byKind["Namespace"], ns, "the overlay deploys into namespace %s: it needs a Namespace manifest", ns)
	// Image names: the containers name `motcua`, only the overlay maps it
	// (a base that renamed it would make the overlay's newTag match nothing).
	require.Empty(t, docs(t, "kubernetes/base/kustomization.yaml")[0]["images"], "base/ must not rename the image")
	overlayImages := list(docs(t, "kubernetes/overlays/province/kustomization.yaml")[0]["images"])
	require.Len(t, overlayImages, 1)
	require.Equal(t, "motcua", str(m(overlayImages[0])["name"]))
	require.NotEmpty(t, str(m(overlayImages[0])["newTag"]))
	for _, kind := range []string{"Deployment", "Job"} {
		for name, o := range byKind[kind] {
			spec := m(m(m(o["spec"])["template"])["spec"])
			for _, c := range append(list(spec["initContainers"]), list(spec["containers"])...) {
				if name != "temporal-namespace" {
					require.Equal(t, "motcua", str(m(c)["image"]), "%s %s", kind, name)
				}
			}
		}
	}
	// Something creates the Temporal namespace and its search attributes
	// (without them every submission fails), from the same script and list
	// as compose.
	require.Contains(t, byKind["Job"], "temporal-namespace")
	for copyPath, original := range map[string]string{
		"kubernetes/base/temporal/temporal-namespace.sh": "compose/temporal-namespace.sh",
		"kubernetes/base/temporal/search-attributes":     "temporal/search-attributes",
	} {
		a, err := os.ReadFile(copyPath)
		require.NoError(t, err)
		b, err := os.ReadFile(original)
		require.NoError(t, err)
		require.Equal(t, string(b), string(a), "%s must stay a copy of %s", copyPath, original)
	}
	var generated []any
	for _, g := range list(docs(t, "kubernetes/base/kustomization.yaml")[0]["configMapGenerator"]) {
		if str(m(g)["name"]) == "motcua-temporal-namespace" {
			generated = list(m(g)["files"])
		}
	}
	require.ElementsMatch(t, []any{"temporal/temporal-namespace.sh", "temporal/search-attributes"}, generated)
	// Two database roles: the pods connect as motcua_app; the owner's URL
	// is in a Secret of its own, for the migrate Job.
	require.Contains(t, str(m(byKind["Secret"]["motcua"]["stringData"])["DATABASE_URL"]), "postgres://motcua_app:")
	require.Contains(t, byKind["Secret"], "motcua-migrate")
	require.NotContains(t, m(byKind["Secret"]["motcua"]["stringData"]), "MOTCUA_MIGRATE_DATABASE_URL")
	// The API's metrics are scraped on the admin listener, not the public port.
	api := m(m(m(byKind["Deployment"]["motcua-api"]["spec"])["template"])["metadata"])
	admin := str(m(docs(t, "kubernetes/base/configmap.yaml")[0]["data"])["MOTCUA_ADMIN_ADDR"])
	require.NotEmpty(t, admin, "the API needs MOTCUA_ADMIN_ADDR for /metrics")
	require.Equal(t, admin[strings.LastIndex(admin, ":")+1:], str(m(api["annotations"])["prometheus.io/port"]))
	require.NotEqual(t, "8080", str(m(api["annotations"])["prometheus.io/port"]))

	matches := func(sel map[string]any) string {
		for name, labels := range podLabels {
			ok := len(sel) > 0
			for k, v := range sel {
				ok = ok && labels[k] == v
			}
			if ok {
				return name
			}
		}
		return ""
	}
	for name, o := range byKind["Service"] {
		require.NotEmpty(t, matches(m(m(o["spec"])["selector"])), "Service %s selects no Deployment's pods", name)
	}
	for name, o := range byKind["PodDisruptionBudget"] {
		require.NotEmpty(t, matches(m(m(m(o["spec"])["selector"])["matchLabels"])), "PDB %s selects no Deployment's pods", name)
	}
	require.Len(t, byKind["HorizontalPodAutoscaler"], 2)
	for name, o := range byKind["HorizontalPodAutoscaler"] {
		target := m(m(o["spec"])["scaleTargetRef"])
		require.Equal(t, "Deployment", target["kind"])
		require.Contains(t, byKind["Deployment"], str(target["name"]), "HPA %s scales a Deployment that does not exist", name)
	}
	require.Contains(t, byKind["Deployment"], "motcua-api")
	require.Contains(t, byKind["Deployment"], "motcua-worker")
}

func TestHelmValuesUsePostgreSQL(t *testing.T) {
	d := docs(t, "helm/temporal-values.yaml")[0]
	p := m(m(m(d["server"])["config"])["persistence"])
	for _, store := range []string{"default", "visibility"} {
		sql := m(m(p[store])["sql"])
		require.Equal(t, "postgres12", sql["driver"], store)
	}
	require.Equal(t, "temporal_visibility", m(m(p["visibility"])["sql"])["database"])
	for _, off := range []string{"cassandra", "mysql", "elasticsearch"} {
		require.Equal(t, false, m(d[off])["enabled"], off)
	}
}

// A documented variable that does not exist fails: every MOTCUA_* and
// OTEL_* name in the README, docs/ and deploy/ is read by the binary or by
// the scripts (or is a test variable).
func TestDocumentedVariablesExist(t *testing.T) {
	vars := variables()
	scripts := ""
	for _, f := range []string{"../scripts/lib.sh", "../scripts/dev.sh", "../scripts/test.sh", "../scripts/prod-local.sh", "../scripts/clean-data.sh", "../scripts/bench.sh"} {
		if raw, err := os.ReadFile(f); err == nil {
			scripts += string(raw)
		}
	}
	// Names the Go code reads itself (tests' and benchmarks' variables).
	err := filepath.WalkDir("..", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") {
			raw, err := os.ReadFile(path)
			if err != nil {
				return err
			}
			for _, q := range regexp.MustCompile(`"((?:MOTCUA|OTEL)_[A-Z0-9_]+)"`).FindAllStringSubmatch(string(raw), -1) {
				scripts += " " + q[1] + " "
			}
		}
		return err
	})
	require.NoError(t, err)
	re := regexp.MustCompile(`\b(?:MOTCUA|OTEL)_[A-Z0-9_]*[A-Z0-9]\b`)
	// Read by the OpenTelemetry SDK itself (documented as such).
	otelSDK := []string{"OTEL_SERVICE_NAME", "OTEL_EXPORTER_OTLP_HEADERS"}
	var files []string
	for _, g := range []string{"../README.md", "../docs/*.md", "*.yaml", "*/*.yaml", "*/*/*.yaml", "*/*/*/*.yaml", "Dockerfile", "compose.env.example", "compose/*.sh"} {
		fs, err := filepath.Glob(g)
		require.NoError(t, err)
		files = append(files, fs...)
	}
	require.Contains(t, files, "../docs/OPERATIONS.md")
	for _, f := range files {
		raw, err := os.ReadFile(f)
		require.NoError(t, err)
		for _, v := range re.FindAllString(string(raw), -1) {
			if vars[v] || strings.HasPrefix(v, "MOTCUA_TEST_") || slices.Contains(otelSDK, v) || strings.Contains(scripts, v) {
				continue
			}
			t.Errorf("%s names %s, which neither motcua nor the scripts read", f, v)
		}
	}
}

// The integrations' variables reach the processes in every manifest: the
// applicant channels (issue 19) and the national portal's status sync, in
// compose (x-motcua-env, with its example file) and in the Kubernetes
// ConfigMap or the example Secret, secrets only in the Secret.
func TestIntegrationVariablesDeployed(t *testing.T) {
	plain := []string{"MOTCUA_SMS_URL", "MOTCUA_SMS_BRANDNAME", "MOTCUA_ZALO_URL", "MOTCUA_SMTP_ADDR", "MOTCUA_SMTP_FROM",
		"MOTCUA_PORTAL_URL", "MOTCUA_PORTAL_LAG_AFTER"}
	secret := []string{"MOTCUA_SMS_API_KEY", "MOTCUA_ZALO_ACCESS_TOKEN", "MOTCUA_NOTIFY_RECEIPT_SECRET", "MOTCUA_PORTAL_TOKEN"}
	vars := variables()
	compose := m(docs(t, "compose.yaml")[0]["x-motcua-env"])
	example, err := os.ReadFile("compose.env.example")
	require.NoError(t, err)
	cm := m(docs(t, "kubernetes/base/configmap.yaml")[0]["data"])
	sec := m(docs(t, "kubernetes/overlays/province/secret.example.yaml")[0]["stringData"])
	for _, v := range append(slices.Clone(plain), secret...) {
		require.True(t, vars[v], "%s is not read by motcua", v)
		require.Contains(t, compose, v, "compose.yaml x-motcua-env lacks %s", v)
		require.Contains(t, string(example), "\n"+v+"=", "compose.env.example lacks %s", v)
	}
	for _, v := range plain {
		require.Contains(t, cm, v, "the Kubernetes ConfigMap lacks %s", v)
	}
	for _, v := range secret {
		require.Contains(t, sec, v, "the example Secret lacks %s", v)
		require.NotContains(t, cm, v, "%s is a secret: not in the ConfigMap", v)
	}
}
