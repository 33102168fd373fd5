// Package sealedfiles connects package sealing to a platform: which
// encrypted Secrets an environment of provider sops or sealed-secrets
// needs and with which keys (from credentials.List), the metadata a
// sealed Secret carries so that it lands in the secrets stage with the
// labels render gives every object, and the one reading of the
// environment's directory of encrypted files that render does: verify
// without any key (sealing.Verify), place each finding at the
// environment's line of the spec with the seal command that fixes it,
// and hand the files on byte for byte for the overlay.
//
// It sits between sealing (which knows nothing of platforms) and render
// and the CLI's secrets command, which both read the same expectation,
// so that what seal writes is what render accepts.
package sealedfiles
