package model

import "strings"

// K8sName turns a DataSurface name (a PSP, a credential) into the Kubernetes
// name DataSurface itself uses: lowercase, '_' and spaces become '-', other
// characters are dropped, and runs of '-' collapse, with none at either end.
func K8sName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch {
		case r >= 'a' && r <= 'z', r >= '0' && r <= '9':
			b.WriteRune(r)
		case r == '-' || r == '_' || r == ' ':
			b.WriteByte('-')
		}
	}
	parts := strings.FieldsFunc(b.String(), func(r rune) bool { return r == '-' })
	return strings.Join(parts, "-")
}

// PythonName turns a DataSurface name into the form its generated files and
// Python modules use: lowercase with '_' between words.
func PythonName(s string) string {
	return strings.ReplaceAll(K8sName(s), "-", "_")
}
