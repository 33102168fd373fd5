//go:build !linux

package fsys

import "os"

// Without syncfs each file is flushed when written, and Sync flushes the
// directory it is given.
func syncFS(f *os.File) error { return f.Sync() }

func syncOnWrite(f *os.File) error { return f.Sync() }
