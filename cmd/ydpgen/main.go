// Command ydpgen compiles one YellowDataPlatform spec into a GitOps
// repository. See the README for the commands.
package main

import "os"

func main() {
	os.Exit(Main(os.Args[1:], os.Stdout, os.Stderr))
}
