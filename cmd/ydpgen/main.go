// Command ydpgen compiles one YellowDataPlatform spec into a GitOps
// repository. See the README for the commands.
package main

import (
	"os"
	"runtime/debug"
)

func main() {
	// A render is short and allocates a few tens of MiB: collecting less
	// often saves a fifth of its time. The limit keeps large specs in check.
	debug.SetGCPercent(400)
	debug.SetMemoryLimit(1 << 30)
	os.Exit(Main(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
