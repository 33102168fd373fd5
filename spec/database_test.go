package spec

import (
	"os"
	"strings"
	"testing"

	"github.com/ydpgen/ydpgen/model"
)

// TestDatabaseChecks edits the pi-lab example (an in-cluster server) and
// checks what the loader says.
func TestDatabaseChecks(t *testing.T) {
	s := mustNew(t)
	src, err := os.ReadFile("../examples/pi-lab/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const md = "    metadataDatabase:\n      credential: airflow-db\n"
	for _, tc := range []struct {
		name, from, to string
		want           string // "" when the spec must load
	}{
		{"unchanged", "", "", ""},
		{"host with an in-cluster server", md, md + "      host: db.example.com\n",
			"spec.airflow.metadataDatabase.host: host is set, but the in-cluster server is reached at postgres.datasurface.svc.cluster.local"},
		{"TLS with an in-cluster server", md, md + "      sslMode: verify-full\n", "sslMode verify-full needs TLS"},
		{"prefer with an in-cluster server", md, md + "      sslMode: prefer\n", ""},
		{"external server without a host", md, md + "      mode: external\n", "an external metadata database has no host"},
		{"external server with a host", md, md + "      mode: external\n      host: db.example.com\n", ""},
		{"storage class the cluster does not declare", md, md + "      server: {storage: {storageClass: local-path}}\n",
			"spec.airflow.metadataDatabase.server.storage.storageClass: the in-cluster database's volume uses storage class local-path, which the cluster does not declare"},
		{"default storage class the cluster does not declare", "longhorn: {rwx: true, nfsClientInstalled: true}",
			"longhorn: {rwx: true, nfsClientInstalled: true}\n        defaultStorageClass: local-path",
			"spec.environments.lab.cluster.defaultStorageClass: the in-cluster database's volume uses the cluster's default storage class local-path, which the cluster does not declare"},
		{"request above the limit", md, md + "      server:\n        resources:\n          requests: {cpu: 250m, memory: 2Gi}\n          limits: {cpu: \"1\", memory: 1Gi}\n",
			"spec.airflow.metadataDatabase.server.resources.requests.memory: the memory request 2Gi is above its limit 1Gi"},
		{"bootstrap request above the limit", md, md + "      bootstrap:\n        resources:\n          requests: {cpu: \"2\", memory: 64Mi}\n          limits: {cpu: 500m, memory: 256Mi}\n",
			"bootstrap.resources.requests.cpu: the cpu request 2 is above its limit 500m"},
		{"image tag latest", md, md + "      server: {image: {repository: postgres, tag: latest}}\n", "never latest"},
		{"database name too long", "    - name: airflow_db\n", "    - name: " + strings.Repeat("a", 64) + "\n", "at most 63 characters"},
		{"merge database owned twice", "      owner: postgres\n      dataTransformers", "      owner: airflow-db\n      dataTransformers",
			"spec.databases[1].owner: database merge_db is owned by airflow-db here but by postgres in datasurface.mergeDatabase.credential"},
		{"admin credential not declared", md, md + "      server: {adminCredential: root}\n",
			`spec.airflow.metadataDatabase.server.adminCredential: credential "root" is not declared`},
		{"admin credential of another type", md, md + "      server: {adminCredential: git}\n",
			`credential "git" is of type API_TOKEN, but airflow.metadataDatabase.server.adminCredential needs USER_PASSWORD`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			loadEdited(t, s, string(src), tc.from, tc.to, tc.want)
		})
	}
}

// The loader gives an in-cluster server the address of the Service the
// database generator renders.
func TestInClusterHost(t *testing.T) {
	s := mustNew(t)
	src, err := os.ReadFile("../examples/pi-lab/platform.yaml")
	if err != nil {
		t.Fatal(err)
	}
	p, err := s.Load("platform.yaml", src)
	if err != nil {
		t.Fatal(err)
	}
	md := p.Environments[0].Airflow.MetadataDatabase
	if md.Mode != model.InCluster || md.Host != "postgres.datasurface.svc.cluster.local" {
		t.Errorf("mode %s, host %s", md.Mode, md.Host)
	}
	if got := md.Server; got.AdminCredential != "postgres" || got.Image.Ref() != "postgres:16-alpine" || got.Storage.Size != "8Gi" ||
		got.Resources.Requests.Memory != "256Mi" || got.Resources.Limits.CPU != "1" {
		t.Errorf("k3s-pi server defaults: %+v", got)
	}
}
