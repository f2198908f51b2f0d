#!/usr/bin/env bash
# govulncheck against a local copy of the Go vulnerability database.
#
# govulncheck cannot reach vuln.go.dev from CI, so the database is built
# here from the golang.org/x/vulndb module that the Go module proxy serves:
# its data/osv folder holds every report as OSV JSON, and the module's own
# cmd/indexdb turns such a folder into a v1 database (index/db.json,
# index/modules.json, ID/*.json). Both tools and the database are kept in a
# cache folder, so later steps and later runs on the same machine reuse
# them. Exits non-zero if a vulnerability affects code that tuango calls
# (govulncheck's own rule: imported but never called is reported, not
# failed).
set -euo pipefail
cd "$(dirname "$0")/.."

VULNDB_VERSION="${VULNDB_VERSION:-v0.0.0-20261105234957-e22db6528018}"
VULN_VERSION="${VULN_VERSION:-v1.9.0}"
cache="${TUANGO_CI_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/tuango-ci}"
bin="$cache/bin"
db="$cache/vulndb-$VULNDB_VERSION"
mkdir -p "$bin"

if [ ! -x "$bin/govulncheck-$VULN_VERSION" ]; then
  GOBIN="$bin" go install "golang.org/x/vuln/cmd/govulncheck@$VULN_VERSION"
  mv "$bin/govulncheck" "$bin/govulncheck-$VULN_VERSION"
fi

if [ ! -s "$db/index/modules.json" ]; then
  if [ ! -x "$bin/indexdb-$VULNDB_VERSION" ]; then
    GOBIN="$bin" go install "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION"
    mv "$bin/indexdb" "$bin/indexdb-$VULNDB_VERSION"
  fi
  src=$(go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src/data/osv" ] || { echo "golang.org/x/vulndb@$VULNDB_VERSION has no data/osv folder" >&2; exit 1; }
  tmp="$db.tmp.$$"
  rm -rf "$tmp"
  "$bin/indexdb-$VULNDB_VERSION" -vulns "$src/data/osv" -out "$tmp"
  bash .ci/check-vulndb.sh "$tmp" "$src/data/osv"
  rm -rf "$db"
  mv "$tmp" "$db"
fi
echo "vulnerability database: $db ($(ls "$db/ID" | wc -l) files, from golang.org/x/vulndb@$VULNDB_VERSION)"
"$bin/govulncheck-$VULN_VERSION" -db "file://$db" ./...
