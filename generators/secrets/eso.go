package secrets

import (
	"fmt"
	"maps"
	"slices"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/ydpgen/ydpgen/credentials"
	"github.com/ydpgen/ydpgen/kube/labels"
	"github.com/ydpgen/ydpgen/model"
)

// ESOAPIVersion is the External Secrets Operator API the objects use
// (v1, served and stored since ESO 0.17; checked against the v1.3.2 CRD).
const ESOAPIVersion = "external-secrets.io/v1"

// ExternalSecret is the part of ESO's ExternalSecret that ydpgen writes.
// Field names and JSON keys follow the CRD in testdata/crds.
type ExternalSecret struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`
	Spec              ExternalSecretSpec `json:"spec"`
}

// ExternalSecretSpec says which store to read, what to read and which
// Secret to write.
type ExternalSecretSpec struct {
	RefreshInterval string         `json:"refreshInterval,omitempty"`
	SecretStoreRef  StoreRef       `json:"secretStoreRef"`
	Target          Target         `json:"target"`
	Data            []ExternalData `json:"data"`
}

// StoreRef names a SecretStore or ClusterSecretStore.
type StoreRef struct {
	Kind string `json:"kind"`
	Name string `json:"name"`
}

// Target is the Secret the operator writes.
type Target struct {
	Name           string          `json:"name"`
	CreationPolicy string          `json:"creationPolicy"`
	DeletionPolicy string          `json:"deletionPolicy"`
	Template       *TargetTemplate `json:"template,omitempty"`
}

// TargetTemplate sets the Secret's type and labels. It has no data
// templates, so the operator writes the fetched keys as they are.
type TargetTemplate struct {
	Type          string           `json:"type"`
	EngineVersion string           `json:"engineVersion"`
	Metadata      TemplateMetadata `json:"metadata"`
}

// TemplateMetadata is the written Secret's metadata.
type TemplateMetadata struct {
	Labels map[string]string `json:"labels,omitempty"`
}

// ExternalData maps one Secret key to one property of a remote secret.
type ExternalData struct {
	SecretKey string    `json:"secretKey"`
	RemoteRef RemoteRef `json:"remoteRef"`
}

// RemoteRef is a property of a secret in the store.
type RemoteRef struct {
	Key      string `json:"key"`
	Property string `json:"property"`
}

// DeepCopyObject implements runtime.Object.
func (e *ExternalSecret) DeepCopyObject() runtime.Object {
	out := *e
	e.ObjectMeta.DeepCopyInto(&out.ObjectMeta)
	out.Spec.Data = slices.Clone(e.Spec.Data)
	if t := e.Spec.Target.Template; t != nil {
		c := *t
		c.Metadata.Labels = maps.Clone(t.Metadata.Labels)
		out.Spec.Target.Template = &c
	}
	return &out
}

// remoteSecret is where one Secret's values live in the store.
type remoteSecret struct {
	Key        string
	Properties []string // in the Secret's key order
}

// externalSecrets builds one ExternalSecret per Secret, and returns where
// each Secret's values must be stored, by Secret name.
func externalSecrets(env *model.Environment, list []credentials.Secret) ([]*ExternalSecret, map[string]remoteSecret, error) {
	cfg := env.Secrets.ExternalSecrets
	tmpl, terr := credentials.ParseRemoteKeyTemplate(cfg.RemoteKeyTemplate)
	if terr != nil {
		return nil, nil, fmt.Errorf("secrets.externalSecrets.remoteKeyTemplate: %w", terr)
	}
	var out []*ExternalSecret
	remote := map[string]remoteSecret{}
	for _, s := range list {
		key := tmpl.Expand(credentials.RemoteKeyVars{
			Credential: s.Name, Ecosystem: cfg.Ecosystem, Environment: env.Name,
			Namespace: env.Namespace.Name, Platform: env.Platform,
		})
		l := labels.For(env, s.Name, "credentials")
		es := &ExternalSecret{
			TypeMeta:   metav1.TypeMeta{APIVersion: ESOAPIVersion, Kind: "ExternalSecret"},
			ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: env.Namespace.Name, Labels: l},
			Spec: ExternalSecretSpec{
				RefreshInterval: cfg.RefreshInterval,
				SecretStoreRef:  StoreRef{Kind: cfg.StoreKind, Name: cfg.StoreName},
				Target: Target{
					Name: s.Name,
					// Owner: the Secret goes with its ExternalSecret; Retain:
					// a value deleted from the store does not delete the
					// Secret under running pods.
					CreationPolicy: "Owner",
					DeletionPolicy: "Retain",
					Template: &TargetTemplate{
						Type: s.Layout.Type, EngineVersion: "v2",
						Metadata: TemplateMetadata{Labels: maps.Clone(l)},
					},
				},
			},
		}
		rs := remoteSecret{Key: key}
		for _, k := range s.Layout.Keys {
			prop := credentials.RemoteProperty(k.Name)
			es.Spec.Data = append(es.Spec.Data, ExternalData{SecretKey: k.Name, RemoteRef: RemoteRef{Key: key, Property: prop}})
			rs.Properties = append(rs.Properties, prop)
		}
		remote[s.Name] = rs
		out = append(out, es)
	}
	return out, remote, nil
}
