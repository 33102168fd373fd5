package model

import "testing"

func TestRepoOwnerName(t *testing.T) {
	for _, tc := range []struct {
		url         string
		owner, name string
		ok          bool
	}{
		{"https://github.com/datasurface/demo_bootstrap.git", "datasurface", "demo_bootstrap", true},
		{"https://github.com/acme/model", "acme", "model", true},
		{"https://github.com/acme/model/", "acme", "model", true},
		{"https://gitlab.com/group/sub/model.git", "group/sub", "model", true},
		{"https://user@git.example.com:8443/team/model.git", "team", "model", true},
		{"ssh://git@github.com/acme/model.git", "acme", "model", true},
		{"git@github.com:acme/model.git", "acme", "model", true},
		{"https://github.com/model.git", "", "", false},
		{"https://github.com", "", "", false},
		{"https://github.com/acme/", "", "", false},
		{"git@github.com:model.git", "", "", false},
		{"git@github.com", "", "", false},
		{"https://github.com//model.git", "", "", false},
		{"file:///srv/model.git", "", "", false},
	} {
		owner, name, ok := RepoOwnerName(tc.url)
		if owner != tc.owner || name != tc.name || ok != tc.ok {
			t.Errorf("RepoOwnerName(%q) = %q, %q, %v; want %q, %q, %v", tc.url, owner, name, ok, tc.owner, tc.name, tc.ok)
		}
	}
}

func TestGitPort(t *testing.T) {
	for url, want := range map[string]int{
		"https://github.com/acme/model.git":                443,
		"https://user@git.example.com:8443/team/model.git": 8443,
		"ssh://git@git.example.com/team/model.git":         22,
		"ssh://git@git.example.com:2222/team/model.git":    2222,
		"git@github.com:acme/model.git":                    22,
		"file:///srv/model.git":                            0,
		"https://git.example.com:notaport/team/model.git":  443,
		"https://git.example.com:99999/team/model.git":     443,
	} {
		if got := GitPort(url); got != want {
			t.Errorf("GitPort(%q) = %d, want %d", url, got, want)
		}
	}
}
