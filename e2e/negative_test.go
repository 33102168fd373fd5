package e2e

import (
	"strings"
	"testing"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/ydpgen/ydpgen/internal/kubetest"
)

// negativeNamespace is a restricted namespace like the ones ydpgen renders.
const negativeNamespace = `
apiVersion: v1
kind: Namespace
metadata:
  name: e2e-negative
  labels:
    pod-security.kubernetes.io/enforce: restricted
    pod-security.kubernetes.io/audit: restricted
    pod-security.kubernetes.io/warn: restricted
`

// TestE2ENegativeControls sends objects the server must refuse, or warn
// about, with the options TestE2EExamples uses: if one got through, the
// suite's green would mean nothing.
func TestE2ENegativeControls(t *testing.T) {
	srv := server(t)
	cases := []struct {
		name   string
		object string
		// wantErr is a fragment of the rejection; wantWarning of the
		// warning when the server admits the object but warns.
		wantErr, wantWarning string
	}{
		{
			name: "Job with restartPolicy Always",
			object: `
apiVersion: batch/v1
kind: Job
metadata: {name: bad-restart, namespace: e2e-negative}
spec:
  template:
    spec:
      restartPolicy: Always
      containers: [{name: main, image: "busybox:1.36"}]
`,
			wantErr: "spec.template.spec.restartPolicy",
		},
		{
			name: "CronJob with a bad schedule",
			object: `
apiVersion: batch/v1
kind: CronJob
metadata: {name: bad-schedule, namespace: e2e-negative}
spec:
  schedule: "61 * * * *"
  jobTemplate:
    spec:
      template:
        spec:
          restartPolicy: OnFailure
          containers: [{name: main, image: "busybox:1.36"}]
`,
			wantErr: "spec.schedule",
		},
		{
			name: "unknown fields, all of them named",
			object: `
apiVersion: v1
kind: ConfigMap
metadata: {name: bad-fields, namespace: e2e-negative}
dataz: {a: b}
extra: true
`,
			wantErr: `unknown field "dataz", unknown field "extra"`,
		},
		{
			name: "unknown field of a custom kind",
			object: `
apiVersion: external-secrets.io/v1
kind: ExternalSecret
metadata: {name: bad-field, namespace: e2e-negative}
spec:
  secretStoreRef: {kind: SecretStore, name: store}
  target: {name: app}
  refreshIntervall: 1h
`,
			wantErr: "refreshIntervall",
		},
		{
			name: "Deployment that breaks the restricted Pod Security level",
			object: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: privileged, namespace: e2e-negative}
spec:
  selector: {matchLabels: {app: privileged}}
  template:
    metadata: {labels: {app: privileged}}
    spec:
      containers:
      - name: main
        image: busybox:1.36
        securityContext: {privileged: true}
`,
			wantWarning: "violate PodSecurity",
		},
		{
			name: "deprecated node label",
			object: `
apiVersion: apps/v1
kind: Deployment
metadata: {name: deprecated-label, namespace: e2e-negative}
spec:
  selector: {matchLabels: {app: deprecated-label}}
  template:
    metadata: {labels: {app: deprecated-label}}
    spec:
      nodeSelector: {beta.kubernetes.io/arch: arm64}
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: main
        image: busybox:1.36
        securityContext:
          allowPrivilegeEscalation: false
          capabilities: {drop: [ALL]}
`,
			wantWarning: "beta.kubernetes.io/arch",
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			objs, err := kubetest.DecodeObjects([]byte(negativeNamespace + "---\n" + tc.object))
			if err != nil {
				t.Fatal(err)
			}
			res, err := srv.Apply(t.Context(), objs, kubetest.ApplyOptions{
				DryRun: true, FieldManager: fieldManager, KeepGoing: true, NoForce: true,
			})
			switch {
			case tc.wantErr != "" && err == nil:
				t.Fatalf("the server accepted an object it must refuse")
			case tc.wantErr != "":
				t.Logf("refused as expected: %v", err)
				if !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("the refusal does not mention %q", tc.wantErr)
				}
				if !apierrors.IsInvalid(err) && !apierrors.IsBadRequest(err) && !strings.Contains(err.Error(), "field not declared in schema") {
					t.Errorf("the refusal is neither Invalid, BadRequest nor a schema error: %v", err)
				}
			case err != nil:
				t.Fatalf("apply: %v", err)
			default:
				found := false
				for _, w := range res.Warnings {
					found = found || strings.Contains(w, tc.wantWarning)
				}
				if !found {
					t.Errorf("warnings %q, want one about %q", res.Warnings, tc.wantWarning)
				}
				t.Logf("warned as expected: %q", res.Warnings)
			}
			bad := objs[len(objs)-1]
			if _, err := srv.Get(t.Context(), bad.GroupVersionKind(), bad.GetNamespace(), bad.GetName()); !apierrors.IsNotFound(err) {
				t.Errorf("%s exists after the dry-run (get: %v)", bad.GetName(), err)
			}
		})
	}

	// A Job's template cannot change under the same name: this is why a
	// Job's name must change with its content.
	t.Run("Job changed in place", func(t *testing.T) {
		job := func(image string) []*unstructured.Unstructured {
			objs, err := kubetest.DecodeObjects([]byte(negativeNamespace + `---
apiVersion: batch/v1
kind: Job
metadata: {name: same-name, namespace: e2e-negative}
spec:
  template:
    spec:
      restartPolicy: Never
      securityContext:
        runAsNonRoot: true
        seccompProfile: {type: RuntimeDefault}
      containers:
      - name: main
        image: ` + image + `
        securityContext:
          allowPrivilegeEscalation: false
          capabilities: {drop: [ALL]}
`))
			if err != nil {
				t.Fatal(err)
			}
			return objs
		}
		opts := kubetest.ApplyOptions{FieldManager: fieldManager, NoForce: true}
		if res, err := srv.Apply(t.Context(), job("busybox:1.36"), opts); err != nil || len(res.Warnings) > 0 {
			t.Fatalf("first apply: %v (warnings %q)", err, res.Warnings)
		}
		opts.DryRun = true
		_, err := srv.Apply(t.Context(), job("busybox:1.37"), opts)
		if !apierrors.IsInvalid(err) || !strings.Contains(err.Error(), "field is immutable") {
			t.Errorf("changing a Job's template in place: err = %v, want Invalid: field is immutable", err)
		}
	})

	// And the restricted level refuses a privileged Pod outright.
	t.Run("privileged Pod", func(t *testing.T) {
		objs, err := kubetest.DecodeObjects([]byte(negativeNamespace))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := srv.Apply(t.Context(), objs, kubetest.ApplyOptions{FieldManager: fieldManager}); err != nil {
			t.Fatal(err)
		}
		ensureDefaultServiceAccount(t, srv, "e2e-negative")
		objs = append(objs, privilegedPod("e2e-negative"))
		_, err = srv.Apply(t.Context(), objs, kubetest.ApplyOptions{DryRun: true, FieldManager: fieldManager})
		if !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), "violates PodSecurity") {
			t.Errorf("privileged Pod in a restricted namespace: err = %v, want a Pod Security refusal", err)
		}
	})
}
