// Package update is the one reader of YDPGEN_UPDATE: set to 1, the tests
// that compare with committed files (the golden trees, the CLI scripts'
// expected output, the JSON Schema document) rewrite those files instead.
// Read the diff before committing what they wrote.
package update

import "os"

// Variable is the environment variable that asks for the rewrite.
const Variable = "YDPGEN_UPDATE"

// Requested says whether this test run should rewrite the committed files.
func Requested() bool { return os.Getenv(Variable) == "1" }

// Hint is what a failed comparison tells the reader to run, for the
// packages given ("./golden/").
func Hint(pkgs string) string { return Variable + "=1 go test " + pkgs + " and read the diff" }
