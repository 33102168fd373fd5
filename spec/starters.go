package spec

import (
	"embed"
	"fmt"
	"slices"
	"strings"
)

//go:embed starters/*.yaml
var starterFiles embed.FS

// Starter returns the commented starter spec of a profile, as `ydpgen init`
// writes it.
func Starter(profile string) ([]byte, error) {
	if !slices.Contains(ProfileNames(), profile) {
		return nil, fmt.Errorf("unknown profile %q; allowed: %s", profile, strings.Join(ProfileNames(), ", "))
	}
	return starterFiles.ReadFile("starters/" + profile + ".yaml")
}
