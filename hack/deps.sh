#!/usr/bin/env bash
# Installs the Debian packages the tests need and the machine lacks: the
# PostgreSQL server and client that internal/pgtest starts for the database
# bootstrap test. Quiet when everything is there; safe to run again.
set -euo pipefail

log() { printf 'hack/deps.sh: %s\n' "$*" >&2; }

have_postgres() {
	local d
	for d in /usr/lib/postgresql/*/bin; do
		if [ -x "$d/initdb" ] && [ -x "$d/postgres" ] && [ -x "$d/pg_isready" ] && [ -x "$d/psql" ]; then
			return 0
		fi
	done
	return 1
}

if [ -n "${YDPGEN_PG_BIN:-}" ] || have_postgres; then
	exit 0
fi

command -v apt-get >/dev/null 2>&1 || {
	log "PostgreSQL server binaries are missing and apt-get is not available: install PostgreSQL 15 or later (initdb, postgres, pg_isready, psql) and set YDPGEN_PG_BIN to its bin directory"
	exit 1
}
sudo=()
if [ "$(id -u)" != 0 ]; then
	command -v sudo >/dev/null 2>&1 || { log "not root and no sudo: run as root: apt-get install -y postgresql postgresql-client"; exit 1; }
	sudo=(sudo)
fi
log "installing postgresql and postgresql-client for the database bootstrap test"
export DEBIAN_FRONTEND=noninteractive
"${sudo[@]}" apt-get update -qq
"${sudo[@]}" apt-get install -y -qq --no-install-recommends postgresql postgresql-client >/dev/null
have_postgres || { log "postgresql is installed but no /usr/lib/postgresql/*/bin holds initdb, postgres, pg_isready and psql"; exit 1; }
