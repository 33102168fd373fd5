package render

import (
	"encoding/json"

	"github.com/ydpgen/ydpgen/objset"
)

// HydratorMetadataPath is where, in each hydrated environment's overlay,
// the hydrator metadata goes: the file Argo CD's source hydrator writes
// next to hydrated manifests and GitOps Promoter reads to learn which dry
// commit a hydrated commit came from.
const HydratorMetadataPath = "hydrator.metadata"

// DrySource is the "dry" side of a hydration: the git repository and
// commit the spec was read from. Every field may be empty: RepoURL when
// the repository has no remote, DrySHA when the spec is not in git or has
// uncommitted changes (a commit would then be a lie).
type DrySource struct {
	RepoURL string `json:"repoURL,omitempty"`
	DrySHA  string `json:"drySha,omitempty"`
	Subject string `json:"subject,omitempty"`
}

// hydratorMetadata is the file's content: the same DrySource gives the
// same bytes (a struct encodes its fields in order; no clock).
func hydratorMetadata(ds DrySource) (objset.File, error) {
	b, err := json.MarshalIndent(ds, "", "  ")
	if err != nil {
		return objset.File{}, err
	}
	return objset.File{Path: HydratorMetadataPath, Data: append(b, '\n')}, nil
}
