// Package pgtest starts a throwaway PostgreSQL server on the loopback
// interface, for Go tests only.
//
// Why it exists: the database bootstrap is SQL that must create databases,
// users and grants on a real server, and do nothing the second time. Only a
// real server shows what PostgreSQL accepts, what a GRANT really changes and
// whether a user can then do its work.
//
// The server comes from the Debian postgresql package's binaries under
// /usr/lib/postgresql/<major>/bin (the newest installed major), or from the
// directory YDPGEN_PG_BIN names. Tests fail, and say how to install them
// (hack/deps.sh), when they are missing: they are never skipped. psql's
// \getenv, which the bootstrap uses, needs major version 15 or later.
//
// PostgreSQL refuses to run as root. When the test runs as root, initdb and
// the server run as the postgres system user the package creates (or nobody)
// in a temporary directory handed to that user. The server listens on
// 127.0.0.1 on a port picked at start and on a Unix socket in that
// directory, with password authentication for every connection. Start
// registers a t.Cleanup that stops exactly the process it started and
// removes the directory.
package pgtest
