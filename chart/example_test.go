package chart_test

import (
	"context"
	"errors"
	"fmt"
	"log"

	"github.com/ydpgen/ydpgen/chart"
)

func ExampleRender() {
	ctx := context.Background()
	// A remote chart would come from (&chart.Resolver{}).Resolve with the
	// platform's ydpgen.lock; a local one needs no lock.
	c, err := (&chart.Resolver{}).Resolve(ctx, chart.Ref{Name: "hooks", Source: "testdata/charts/hooks"}, nil)
	if err != nil {
		log.Fatal(err)
	}
	res, err := chart.Render(ctx, c, map[string]any{}, chart.Options{
		ReleaseName: "demo",
		Namespace:   "data",
		KubeVersion: "1.33.0",
	})
	if err != nil {
		log.Fatal(err)
	}
	for _, o := range res.Objects {
		fmt.Println(o.Kind(), o.Name(), o.Template)
	}
	for _, h := range res.Hooks {
		fmt.Println("hook", h.Kind(), h.Name(), h.Events, h.Weight)
	}
	// Output:
	// ServiceAccount demo-app hooks/templates/app.yaml
	// ConfigMap demo-capabilities hooks/templates/capabilities.yaml
	// Service demo-app hooks/templates/app.yaml
	// Deployment demo-app hooks/templates/app.yaml
	// hook Job demo-migrate [pre-install pre-upgrade] -5
	// hook ConfigMap demo-aaa-bootstrap [post-install] 3
	// hook ConfigMap demo-bootstrap [post-install] 3
}

func ExampleValuesError() {
	ctx := context.Background()
	c, err := chart.LoadLocal("testdata/charts/parent")
	if err != nil {
		log.Fatal(err)
	}
	values := map[string]any{"extraContainers": []any{map[string]any{"name": "sidecar"}}}
	_, err = chart.Render(ctx, c, values, chart.Options{ReleaseName: "r", Namespace: "n", KubeVersion: "1.33.0"})
	var ve *chart.ValuesError
	if errors.As(err, &ve) {
		for _, e := range ve.Errors {
			// Path leads back to the spec line that set the value.
			fmt.Printf("%q %s: %s\n", e.Path, e.Field, e.Message)
		}
	}
	// Output:
	// ["extraContainers" "0"] extraContainers[0]: missing property 'image'
}
