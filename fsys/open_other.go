//go:build !unix

package fsys

// nonblock is 0 where opening a file never waits for a peer.
const nonblock = 0
