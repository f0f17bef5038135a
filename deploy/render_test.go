package deploy_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
)

// TestKustomizeRendersEveryOverlay is `kustomize build` of every overlay,
// through kustomize's own library (the same code as the CLI), offline.
// It checks what only a real render shows: the overlay's image name and
// tag reach every motcua container (a base that renamed the image would
// leave them on its tag), everything lands in the overlay's Namespace,
// which the overlay creates, and generated ConfigMaps are wired to the
// Jobs that mount them.
func TestKustomizeRendersEveryOverlay(t *testing.T) {
	t.Parallel()
	overlays, err := filepath.Glob("kubernetes/overlays/*/kustomization.yaml")
	require.NoError(t, err)
	require.NotEmpty(t, overlays)
	for _, k := range overlays {
		dir := filepath.Dir(k)
		resMap, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
		require.NoError(t, err, "kustomize build %s", dir)
		overlay := docs(t, k)[0]
		ns := str(overlay["namespace"])
		image := m(list(overlay["images"])[0])
		wantImage := str(image["newName"]) + ":" + str(image["newTag"])

		namespaces, configMaps := map[string]bool{}, map[string]bool{}
		var motcuaContainers int
		var mounted []string
		for _, r := range resMap.Resources() {
			kind, name := r.GetKind(), r.GetName()
			if kind == "Namespace" {
				namespaces[name] = true
				continue
			}
			require.Equal(t, ns, r.GetNamespace(), "%s: %s %s is outside namespace %s", dir, kind, name, ns)
			if kind == "ConfigMap" {
				configMaps[name] = true
				if name == "motcua" {
					// The development defaults (127.0.0.1:8233) are wrong on a
					// cluster: the console's links and the codec's CORS.
					o, err := r.Map()
					require.NoError(t, err)
					data := m(o["data"])
					for _, k := range []string{"MOTCUA_TEMPORAL_UI_URL", "MOTCUA_CODEC_CORS_ORIGINS"} {
						require.True(t, strings.HasPrefix(str(data[k]), "https://"), "%s: %s is %q", dir, k, data[k])
					}
				}
			}
			if kind != "Deployment" && kind != "Job" {
				continue
			}
			o, err := r.Map()
			require.NoError(t, err)
			spec := m(m(m(o["spec"])["template"])["spec"])
			for _, c := range append(list(spec["initContainers"]), list(spec["containers"])...) {
				img := str(m(c)["image"])
				if strings.HasPrefix(img, "temporalio/") {
					continue
				}
				motcuaContainers++
				require.Equal(t, wantImage, img, "%s: %s %s runs %s", dir, kind, name, img)
			}
			for _, v := range list(spec["volumes"]) {
				if cm := m(m(v)["configMap"]); cm != nil {
					mounted = append(mounted, str(cm["name"]))
				}
			}
		}
		require.True(t, namespaces[ns], "%s: no Namespace %s", dir, ns)
		require.Equal(t, 4, motcuaContainers, "%s: api, worker, migrate, seed", dir)
		require.NotEmpty(t, mounted, "%s: the temporal-namespace Job mounts its script", dir)
		for _, name := range mounted {
			require.True(t, configMaps[name], "%s: a Job mounts ConfigMap %s, which the render does not have", dir, name)
		}
	}
}
