// Package upstreamtest checks ydpgen's Sealed Secrets code against the
// controller's own (github.com/bitnami/sealed-secrets): its tests seal
// with package sealing and unseal with the upstream SealedSecret.Unseal
// and HybridDecrypt, and the reverse, in every scope.
//
// It is a separate module so that ydpgen's go.mod does not require the
// sealed-secrets module: that module's current tags declare the path
// github.com/bitnami/sealed-secrets, which can only be required through a
// replace directive, and a replace in ydpgen's own go.mod would make
// `go install github.com/ydpgen/ydpgen/cmd/ydpgen@version` fail. Here the
// replace is harmless. Run it with `make upstream` (part of `make test`)
// or `cd sealing/upstreamtest && go test ./...`.
package upstreamtest
