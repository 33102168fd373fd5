// Package secretscan recognises text that looks like secret material: a
// password inside a URL, a private key, a well-known token format, a long
// base64 blob, or a key name that says its value is a secret. The loader
// uses it to refuse a spec that holds a value, the golden tests use it to
// prove no rendered file holds one, and review uses the same words and
// patterns to mask what it shows, so that what a spec may not hold a
// review does not print.
//
// It errs on the side of reporting: its users report what it finds as an
// error and a person decides, so a pattern that also matches a harmless
// string costs a rename, while one that misses a secret costs a leak.
package secretscan
