package lint

import (
	"encoding/json"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	psaapi "k8s.io/pod-security-admission/api"
	"k8s.io/pod-security-admission/policy"

	"github.com/ydpgen/ydpgen/objset"
)

// checkPodSecurityLevel evaluates the pod template of every rendered
// workload (ydpgen's and, when hydrated, the chart's) with the Pod Security
// admission's own checks at the level the namespace enforces. The API
// server admits a Deployment or a Job whose pods break the level with a
// warning at most; the pods themselves are then refused, and the
// controller retries forever with nothing in the manifests looking wrong.
func checkPodSecurityLevel(in *Input, r *Report) {
	level, err := psaapi.ParseLevel(in.Env.Namespace.PodSecurity)
	if err != nil || level == psaapi.LevelPrivileged {
		return
	}
	eval, err := policy.NewEvaluator(policy.DefaultChecks(), nil)
	if err != nil {
		r.At("environment.namespace.podSecurity", "the Pod Security checks cannot be loaded: "+err.Error(), "report this as a bug of ydpgen")
		return
	}
	lv := psaapi.LevelVersion{Level: level, Version: psaapi.LatestVersion()}
	for _, e := range in.Objects {
		tmpl, ok, err := podTemplate(e)
		if err != nil {
			r.At("environment.name", fmt.Sprintf("the pod template of %s %s cannot be read: %v", e.GVK.Kind, e.Name, err), "report this as a bug of ydpgen")
			continue
		}
		if !ok {
			continue
		}
		broken := podBreaks(eval, lv, tmpl)
		if len(broken) == 0 {
			continue
		}
		// A spec can set only baseline and restricted: a lower level is a
		// way out only from restricted, and only for pods that meet it.
		fix := fmt.Sprintf("give the workload the security context Pod Security %s asks for", level)
		switch {
		case level == psaapi.LevelBaseline:
			fix += "; baseline is the lowest level namespace.podSecurity can be"
		case len(podBreaks(eval, psaapi.LevelVersion{Level: psaapi.LevelBaseline, Version: lv.Version}, tmpl)) == 0:
			fix += ", or set namespace.podSecurity: baseline, which its pods meet"
		default:
			fix += "; its pods break baseline too, the lowest level namespace.podSecurity can be"
		}
		r.At("environment.namespace.podSecurity",
			fmt.Sprintf("the pods of %s %s break Pod Security %s, which the namespace enforces, and would be refused: %s", e.GVK.Kind, e.Name, level, strings.Join(broken, "; ")),
			fix)
	}
}

// podBreaks lists what of a pod template the Pod Security checks at lv
// refuse, each as the check's reason and detail.
func podBreaks(eval policy.Evaluator, lv psaapi.LevelVersion, tmpl corev1.PodTemplateSpec) []string {
	var broken []string
	for _, res := range eval.EvaluatePod(lv, &tmpl.ObjectMeta, &tmpl.Spec) {
		if !res.Allowed {
			broken = append(broken, res.ForbiddenReason+" ("+res.ForbiddenDetail+")")
		}
	}
	return broken
}

// podTemplate returns the pod template of a workload object: a Pod itself,
// a CronJob's job template's, or the template of the other kinds that run
// pods. ok is false for an object that runs none.
func podTemplate(e objset.Entry) (corev1.PodTemplateSpec, bool, error) {
	var path []string
	switch e.GVK.Kind {
	case "Pod":
	case "Deployment", "StatefulSet", "DaemonSet", "ReplicaSet", "Job":
		path = []string{"spec", "template"}
	case "CronJob":
		path = []string{"spec", "jobTemplate", "spec", "template"}
	default:
		return corev1.PodTemplateSpec{}, false, nil
	}
	var v any = e.Content
	for _, k := range path {
		m, ok := v.(map[string]any)
		if !ok {
			return corev1.PodTemplateSpec{}, false, nil
		}
		v = m[k]
	}
	if v == nil {
		return corev1.PodTemplateSpec{}, false, nil
	}
	b, err := json.Marshal(v)
	if err != nil {
		return corev1.PodTemplateSpec{}, false, err
	}
	var t corev1.PodTemplateSpec
	if err := json.Unmarshal(b, &t); err != nil {
		return corev1.PodTemplateSpec{}, false, err
	}
	return t, true, nil
}
