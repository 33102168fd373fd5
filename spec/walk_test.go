package spec

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ydpgen/ydpgen/diag"
)

// TestMissingInLists pins what the loader says about a required value
// inside a list, or a required list, that the spec leaves unset. The walk
// once stopped at lists, so that CUE's own "incomplete value" came out of
// the backstop, at the environment, with CUE's regular expression as the
// only hint of what was allowed.
func TestMissingInLists(t *testing.T) {
	s := mustNew(t)
	const where = " in environment dev (profile k3s-pi)"
	f := func(line, col int, path, msg, allowed string) diag.Finding {
		return diag.Finding{Severity: diag.Error, File: "platform.yaml", Line: line, Col: col, Path: path, Message: msg + where, Allowed: allowed}
	}
	for _, tc := range []struct {
		name, databases string
		want            []diag.Finding
	}{
		{name: "a database without its owner",
			databases: "  databases:\n    - {name: merge_db}\n",
			want: []diag.Finding{f(29, 7, "spec.environments.dev.databases[0].owner",
				"required value databases[0].owner is not set", "a credential name: a letter, then letters, digits, '_' or '-', at most 63 characters")}},
		{name: "an empty database",
			databases: "  databases:\n    - {}\n",
			want: []diag.Finding{
				f(29, 7, "spec.environments.dev.databases[0].name", "required value databases[0].name is not set", dbNameAllowed),
				f(29, 7, "spec.environments.dev.databases[0].owner", "required value databases[0].owner is not set", "a credential name: a letter, then letters, digits, '_' or '-', at most 63 characters"),
			}},
		{name: "sops without its age recipients",
			databases: "  secrets:\n    provider: sops\n    sops: {keySecret: sops-age}\n",
			want: []diag.Finding{f(30, 5, "spec.environments.dev.secrets.sops.ageRecipients",
				"required value secrets.sops.ageRecipients is not set",
				"a list of at least one age public key: age1 followed by 58 lowercase Bech32 characters, as age-keygen prints it")}},
		{name: "sops with an empty list of age recipients",
			databases: "  secrets:\n    provider: sops\n    sops: {ageRecipients: []}\n",
			want: []diag.Finding{{Severity: diag.Error, File: "platform.yaml", Line: 30, Col: 27, Path: "spec.secrets.sops.ageRecipients",
				Message: "an empty list is not allowed",
				Allowed: "a list of at least one age public key: age1 followed by 58 lowercase Bech32 characters, as age-keygen prints it"}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var spoke []diag.Finding
			s.backstopped = func(f diag.Finding) { spoke = append(spoke, f) }
			got := loadBadBase(t, s, tc.databases, "      namespace: datasurface\n")
			if diff := cmp.Diff(diag.List(tc.want), got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			if len(spoke) > 0 {
				t.Errorf("the backstop spoke: %v", spoke)
			}
		})
	}
}
