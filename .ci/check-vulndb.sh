#!/usr/bin/env bash
# check-vulndb.sh DB [OSV_DIR]: checks that DB is a v1 Go vulnerability
# database as govulncheck reads it — index/db.json with a "modified" time,
# index/modules.json listing modules with their vulnerabilities, one
# ID/<id>.json per entry named there — and, given the OSV folder it was
# built from, that no report was lost on the way.
set -euo pipefail
db="$1"
osv="${2:-}"
fail() { echo "check-vulndb: $db: $*" >&2; exit 1; }
for f in index/db.json index/modules.json index/vulns.json; do
  [ -s "$db/$f" ] || fail "$f is missing or empty"
done
grep -q '"modified"' "$db/index/db.json" || fail "index/db.json has no modified time"
python3 - "$db" "$osv" <<'PY' || exit 1
import json, os, sys
db, osv = sys.argv[1], sys.argv[2]
def fail(msg):
    print(f"check-vulndb: {db}: {msg}", file=sys.stderr); sys.exit(1)
mods = json.load(open(os.path.join(db, "index/modules.json")))
if not isinstance(mods, list) or not mods:
    fail("index/modules.json lists no modules")
ids = set()
for m in mods:
    if not m.get("path") or not m.get("vulns"):
        fail(f"a module entry without a path or vulnerabilities: {m}")
    for v in m["vulns"]:
        ids.add(v["id"])
vulns = json.load(open(os.path.join(db, "index/vulns.json")))
files = {f[:-5] for f in os.listdir(os.path.join(db, "ID")) if f.endswith(".json")}
for i in ids | {v["id"] for v in vulns}:
    if i not in files:
        fail(f"ID/{i}.json is missing though the index names it")
    e = json.load(open(os.path.join(db, "ID", i + ".json")))
    if e.get("id") != i:
        fail(f"ID/{i}.json holds {e.get('id')}")
if osv:
    want = {f[:-5] for f in os.listdir(osv) if f.endswith(".json")}
    lost = want - files
    if lost:
        fail(f"{len(lost)} reports of {osv} are not in the database, such as {sorted(lost)[0]}")
print(f"check-vulndb: {len(files)} entries, {len(mods)} modules: a v1 database")
PY
