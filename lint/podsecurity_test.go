package lint

import (
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/utils/ptr"

	"github.com/ydpgen/ydpgen/objset"
)

func TestPodSecurityLevel(t *testing.T) {
	restricted := &corev1.SecurityContext{
		AllowPrivilegeEscalation: ptr.To(false), RunAsNonRoot: ptr.To(true),
		Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
		SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
	}
	privileged := &corev1.SecurityContext{Privileged: ptr.To(true)}
	withContext := func(sc *corev1.SecurityContext) objset.Object {
		d := deployment("app", "data", 1, sized())
		d.Spec.Template.Spec.Containers[0].SecurityContext = sc
		return d
	}
	cronJob := func(sc *corev1.SecurityContext) objset.Object {
		return &batchv1.CronJob{
			TypeMeta:   metav1.TypeMeta{APIVersion: "batch/v1", Kind: "CronJob"},
			ObjectMeta: metav1.ObjectMeta{Namespace: "ns", Name: "cleanup"},
			Spec: batchv1.CronJobSpec{Schedule: "0 * * * *", JobTemplate: batchv1.JobTemplateSpec{Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{
				Spec: corev1.PodSpec{Containers: []corev1.Container{{Name: "main", Image: "busybox:1.36", SecurityContext: sc}}}}}}},
		}
	}
	for _, tc := range []struct {
		name  string
		level string
		obj   objset.Object
		want  string // a part of the one finding; empty for none
		fix   string // a part of its fix
	}{
		{"privileged under baseline", "baseline", withContext(privileged),
			"the pods of Deployment app break Pod Security baseline, which the namespace enforces, and would be refused: privileged",
			"security context Pod Security baseline asks for; baseline is the lowest level"},
		{"plain container under baseline", "baseline", withContext(nil), "", ""},
		{"plain container under restricted", "restricted", withContext(nil), "break Pod Security restricted",
			"or set namespace.podSecurity: baseline, which its pods meet"},
		{"privileged under restricted", "restricted", withContext(privileged), "break Pod Security restricted",
			"its pods break baseline too"},
		{"restricted container under restricted", "restricted", withContext(restricted), "", ""},
		{"a CronJob's job template", "baseline", cronJob(privileged), "the pods of CronJob cleanup break", "baseline asks for"},
		{"privileged level checks nothing", "privileged", withContext(privileged), "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := env()
			e.Namespace.PodSecurity = tc.level
			got := run(t, "YDP026", e, entries(t, tc.obj))
			if tc.want == "" {
				if len(got) != 0 {
					t.Fatalf("want no finding, got %v", got)
				}
				return
			}
			if len(got) != 1 || !strings.Contains(got[0].Message, tc.want) || !strings.Contains(got[0].Fix, tc.fix) {
				t.Fatalf("want one finding saying %q, fixed by %q, got %v", tc.want, tc.fix, got)
			}
		})
	}
}
