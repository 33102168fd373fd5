// Package sealing keeps an environment's Kubernetes Secrets in git,
// encrypted, in one of two forms: SOPS files encrypted for age recipients,
// which Flux's kustomize-controller decrypts, or SealedSecrets, which the
// Sealed Secrets controller in the cluster unseals. It seals, inspects
// without keys, verifies a directory against what an environment needs,
// and reads the plaintext values to seal.
//
// # Files
//
// Each Secret is one file in secrets/<env>/ of the repository, named by
// FileName: <secret>.sops.yaml or <secret>.sealed.yaml. A SOPS file is the
// Secret itself with only the values under data and stringData encrypted
// (EncryptedRegex), so apiVersion, kind, metadata and key names stay
// readable. A SealedSecret carries the SealedWithAnnotation with the
// fingerprint of the certificate that sealed it.
//
// # Determinism
//
// Encryption is randomized, so ydpgen does not encrypt while rendering:
// an explicit seal step writes the files once and render copies them
// unchanged. Sealing again must not rewrite a file whose values did not
// change, so the seal step calls Update on an existing file, which returns
// the existing bytes when nothing changed. How much Update can tell
// depends on the keys it has:
//
//   - SOPS with an age identity: Update decrypts, compares each value, and
//     re-encrypts only what changed. The data key and every unchanged
//     value's IV are reused, so unchanged entries keep their exact
//     ciphertext; the changed entries, sops.mac and sops.lastmodified
//     change (the MAC covers every value and is bound to lastmodified).
//   - SOPS without an identity: values cannot be compared, and nothing
//     can be added either, because the MAC covers every value. Update
//     leaves the file unchanged when it already has every key (those keys
//     are reported Unverified); otherwise it seals the Secret anew when
//     it was given every value, and returns a *NeedKeyError when not.
//     Missing Secrets are simply sealed (Seal) into new files.
//   - Sealed Secrets: sealing needs only the certificate, so keys the
//     file lacks are sealed and added without any private key, and every
//     other entry keeps its ciphertext. Values already in the file cannot
//     be compared without the controller's private key: they are kept
//     (Unverified) unless UpdateOptions.Replace names them, or unless
//     PrivateKeys are given, in which case changed values are re-sealed.
//
// SOPS.Rotate decrypts a file and encrypts it anew for the sealer's
// recipients with a fresh data key: every entry changes. Update does the
// same by itself when the recipients changed and it has an identity; a
// SealedSecret sealed with another certificate or scope is sealed anew
// when all its values are given, else Update returns *KeysChangedError.
//
// # Use
//
// The seal command (cmd/ydpgen/secrets.go) does, per environment:
//
//	p := sealing.TerminalPrompt(os.Stdin, os.Stderr) // echo off on a terminal
//	vals, err := sealing.Reader{Environ: os.Environ(), DotenvFile: f, RepoRoot: repo, Prompt: p}.Read(reqs)
//	sec := sealing.NewSecret(name, namespace, corev1.SecretTypeOpaque, vals[name])
//	sealer := sealing.SOPS{Recipients: spec.AgeRecipients, Identities: ids}
//	path := filepath.Join(repo, "secrets", env, sealing.FileName(sealing.FormatSOPS, name))
//	old, err := os.ReadFile(path)
//	switch {
//	case errors.Is(err, fs.ErrNotExist):
//		out, err := sealer.Seal(sec) // write out
//	case err == nil:
//		res, err := sealer.Update(path, old, sec, sealing.UpdateOptions{})
//		// write res.File only if res.Changed
//	}
//
// and render, without any key:
//
//	findings, err := sealing.Verify(os.DirFS(repo), "secrets/"+env, sealing.Expectation{...})
//	// place each finding at the spec line of f.Secret / f.Key; print f.FixCommand()
//
// # Integration (package sealedfiles, render and cmd/ydpgen)
//
//   - Spec: the provider (sops or sealed-secrets) with, per environment,
//     the age recipients, or the controller certificate's file and the
//     scope. The Secrets and their keys come from credentials.List and
//     its Layouts (Required: the layout's keys; Optional: none today).
//   - ydpgen secrets seal --env NAME: Reader with one Request per key,
//     then Seal or Update per Secret as above; Prune when the spec
//     dropped a key. ydpgen secrets status: Inspect each file, or Verify.
//   - render: Verify, error findings fail the render; then copy the files
//     byte for byte into the environment's overlay. They must not pass
//     through the YAML encoder: a SOPS file's MAC does not cover its
//     layout, but any rewrite is a spurious diff and a re-encoded SOPS
//     file is no longer what sops wrote.
//   - Flux: the Kustomization that applies the secrets stage gets
//     spec.decryption {provider: sops, secretRef: the Secret holding the
//     age identity under a key ending in .agekey}, created out of band.
//     SealedSecrets need no decryption settings, only the controller.
//
// # Safety
//
// Errors and findings name files, Secrets and keys, never a value. The
// SOPS code path is the SOPS library's own (github.com/getsops/sops/v3:
// its tree encryption, MAC and YAML store), with age identities passed in
// explicitly: nothing reads SOPS_AGE_KEY* or contacts a KMS. Sealed
// Secrets' hybrid encryption (RSA-OAEP with SHA-256 wrapping a one-time
// AES-256-GCM key, the OAEP label binding the value to its scope) is
// written in this package (hybrid.go), and the SealedSecret object is a
// local type: ydpgen does not require github.com/bitnami/sealed-secrets,
// whose current tags can only be required through a replace directive,
// and a replace in ydpgen's go.mod would break `go install
// github.com/ydpgen/ydpgen/cmd/ydpgen@version`. The nested module
// sealing/upstreamtest (run by `make upstream`, part of `make test`)
// seals with this package and unseals with the controller's code, and
// the reverse, in every scope.
//
// # Cost
//
// The SOPS library's root package imports every key service SOPS knows
// (AWS, GCP, Azure, Vault, Huawei Cloud SDKs, gRPC) and an audit package
// whose init reads /etc/sops/audit.yaml and, when that file names a
// PostgreSQL database, connects to it. A binary that imports this package
// therefore links several hundred more packages and runs those inits;
// the CLI that integrates it should know that.
package sealing
