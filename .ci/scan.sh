#!/usr/bin/env bash
# Real attack tools against a running `tuango demo` on 127.0.0.1, with its
# defaults (intrusion detection on, the WAF blocking, the token buckets):
#
#   1. sqlmap (random browser User-Agent, so that it is caught by what it
#      does, not by its name) and wapiti (a crawling web scanner) each come
#      from their own address; each must be on the block list within
#      seconds, banned by detection, and report nothing exploitable.
#   2. The same tools again from an address on the allow list (exempt from
#      detection, still behind the WAF), so that they get to attack the
#      application for a while: still nothing exploitable.
#
# The tools' addresses are X-Forwarded-For values the demo trusts from
# 127.0.0.1 (--trusted-proxy 127.0.0.1), so that the operator's own calls
# from 127.0.0.1 are not banned with them. Asserts from the tools' reports
# and exit status and from tuango's block list; prints the figures that
# docs/security.md records.
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"

work=$(mktemp -d)
demo_pid=
cleanup() {
  [ -n "$demo_pid" ] && kill "$demo_pid" 2>/dev/null && wait "$demo_pid" 2>/dev/null || true
  [ -n "${SCAN_KEEP:-}" ] && echo "kept $work" || rm -rf "$work"
}
trap cleanup EXIT

go build -o "$work/tuango" ./cmd/tuango
"$work/tuango" demo --data "$work/data" --addr 127.0.0.1:0 --argon2-memory-kib 1024 --argon2-passes 1 \
  --trusted-proxy 127.0.0.1 --log-level warn >"$work/demo.out" 2>"$work/demo.log" &
demo_pid=$!
base=
for _ in $(seq 1 60); do
  base=$(sed -n 's/^tuango demo listening on \(http:[^ ]*\).*/\1/p' "$work/demo.out")
  [ -n "$base" ] && curl -fsS "$base/readyz" >/dev/null 2>&1 && break
  kill -0 "$demo_pid" 2>/dev/null || { cat "$work/demo.log"; echo "tuango demo exited"; exit 1; }
  sleep 1
done
[ -n "$base" ] || { echo "tuango demo did not start"; exit 1; }
echo "tuango demo at $base"

# The demo operator signs in with its second factor: the TOTP code (RFC
# 6238: SHA-1, 6 digits, 30 s) of the demo's published secret.
totp=$(python3 -c '
import base64, hmac, struct, sys, time
key = base64.b32decode(sys.argv[1])
h = hmac.new(key, struct.pack(">Q", int(time.time()) // 30), "sha1").digest()
o = h[-1] & 15
print("%06d" % ((struct.unpack(">I", h[o:o + 4])[0] & 0x7fffffff) % 1000000))
' TUANGODEMOOPERATORTOTPSECRET2345)
token=$(curl -fsS -H 'Content-Type: application/json' -d '{"phone":"13900000001","password":"tuango-demo","totp":"'"$totp"'"}' "$base/api/v1/auth/login" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
api() { curl -fsS -H "Authorization: Bearer $token" -H 'Content-Type: application/json' "$@"; }
pp=$(curl -fsS "$base/api/v1/pickup-points" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')

# banned_by ADDR prints the scenario that banned ADDR, or nothing.
banned_by() {
  api "$base/api/v1/admin/blocklist" | python3 -c '
import json, sys
for r in json.load(sys.stdin)["items"]:
    if r["cidr"] == sys.argv[1] + "/32" and r["created_by"] == "ids":
        print(r["origin"]); break' "$1"
}

# watch NAME ADDR PID: wait for ADDR to be banned while the tool runs,
# print how long it took from the tool's start (Python tools take a few
# seconds to start on a busy machine), fail past 30 s.
watch() {
  local name=$1 addr=$2 pid=$3 start now by
  start=$(date +%s%N)
  while :; do
    by=$(banned_by "$addr")
    now=$(date +%s%N)
    if [ -n "$by" ]; then
      ms=$(((now - start) / 1000000))
      printf '%s from %s: banned by %s after %d.%d s\n' "$name" "$addr" "$by" $((ms / 1000)) $((ms % 1000 / 100))
      return 0
    fi
    if [ $(((now - start) / 1000000000)) -ge 30 ]; then
      echo "$name from $addr was not banned within 30 s"; grep -v '"waf match"' "$work/demo.log" | tail -20; kill "$pid" 2>/dev/null; return 1
    fi
    sleep 0.2
  done
}

sqlmap_run() { # ADDR LOG [extra args]
  local addr=$1 log=$2; shift 2
  timeout 90 sqlmap -u "$base/api/v1/deals?pickup_point_id=$pp&city_id=1" --batch --random-agent --level 1 --risk 1 \
    --technique BEUS --timeout 5 --retries 0 --disable-coloring --flush-session --output-dir "$work/sqlmap" \
    --headers "X-Forwarded-For: $addr" "$@" >"$log" 2>&1 || true
  if grep -q 'identified the following injection point' "$log"; then
    echo "sqlmap found an injection point:"; cat "$log"; exit 1
  fi
  grep -E 'do not appear to be injectable|403|WAF|IPS' "$log" | tail -3 || true
}

wapiti_run() { # ADDR REPORT LOG SCOPE URL SECONDS
  local addr=$1 report=$2 log=$3 scope=$4 url=$5 secs=$6
  timeout $((secs + 60)) wapiti -u "$url" --scope "$scope" -m "sql,xss,exec,file,backup,htaccess,crlf,redirect" \
    --max-scan-time "$secs" --max-attack-time 20 -d 3 --flush-session -f json -o "$report" \
    -H "X-Forwarded-For: $addr" >"$log" 2>&1 || true
  [ -s "$report" ] || { echo "wapiti wrote no report:"; tail -30 "$log"; exit 1; }
  python3 - "$report" <<'PY'
import json, sys
rep = json.load(open(sys.argv[1]))
found = {k: v for k, v in rep.get("vulnerabilities", {}).items() if v}
print("wapiti: %d kinds of vulnerability checked, found: %s" % (len(rep.get("vulnerabilities", {})), found or "none"))
sys.exit(1 if found else 0)
PY
}
echo
echo "== 1. the tools as attackers: banned within seconds"
sqlmap_run 198.51.100.11 "$work/sqlmap1.log" &
tool=$!
watch sqlmap 198.51.100.11 "$tool"
wait "$tool"
# Its attack modules on one API URL, at once (a crawl of the site comes in part 2).
wapiti_run 198.51.100.12 "$work/wapiti1.json" "$work/wapiti1.log" page "$base/api/v1/deals?pickup_point_id=$pp&city_id=1" 30 &
tool=$!
watch wapiti 198.51.100.12 "$tool"
wait "$tool"
# A banned address gets 403 banned and nothing else.
body=$(curl -sS -H 'X-Forwarded-For: 198.51.100.11' "$base/api/v1/pickup-points")
[ "$body" = '{"status":403,"code":"banned"}' ] || { echo "a banned address got: $body"; exit 1; }

echo
echo "== 2. the tools on the allow list (no detection, the WAF still blocking): nothing exploitable"
api -d '{"cidr":"198.51.100.20","reason":"CI scanner"}' "$base/api/v1/admin/allowlist" >/dev/null
sqlmap_run 198.51.100.20 "$work/sqlmap2.log"
wapiti_run 198.51.100.20 "$work/wapiti2.json" "$work/wapiti2.log" folder "$base/" 45
[ -z "$(banned_by 198.51.100.20)" ] || { echo "an allowed address was banned"; exit 1; }

echo
echo "== 3. the order path the WAF spares (its JSON's positive model): nothing exploitable"
# sqlmap on POST /api/v1/orders as a signed-in customer, from the allowed
# address: the JSON values are the injection points; a tamper script gives
# each payload a fresh Idempotency-Key (a reused key would replay the
# first answer and test nothing), and the delay keeps the customer inside
# the account's bucket (20 a second) so that sqlmap sees the answers of
# the order's own checks, not 429s. --skip-waf: sqlmap's own WAF probe
# adds a query string, which is not the spared shape (the WAF refuses it).
ctoken=$(curl -fsS -H 'Content-Type: application/json' -d '{"phone":"13900001001","password":"tuango-demo"}' "$base/api/v1/auth/login" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
deal=$(curl -fsS "$base/api/v1/deals?pickup_point_id=$pp" | python3 -c 'import json,sys; print(json.load(sys.stdin)["items"][0]["id"])')
mkdir -p "$work/tamper"
cat >"$work/tamper/freshkey.py" <<'PY'
import uuid
from lib.core.enums import PRIORITY
__priority__ = PRIORITY.NORMAL
def dependencies():
    pass
def tamper(payload, **kwargs):
    kwargs.get("headers", {})["Idempotency-Key"] = "scan-" + uuid.uuid4().hex
    return payload
PY
touch "$work/tamper/__init__.py"
timeout 240 sqlmap -u "$base/api/v1/orders" --method POST --data '{"pickup_point_id":"'"$pp"'*","items":[{"deal_id":"'"$deal"'*","quantity":1}]}' \
  --batch --random-agent --skip-waf --level 1 --risk 1 --technique BEUS --timeout 5 --retries 0 --delay 0.06 --disable-coloring --flush-session \
  --output-dir "$work/sqlmap" --tamper "$work/tamper/freshkey.py" \
  --headers $'X-Forwarded-For: 198.51.100.20\nAuthorization: Bearer '"$ctoken"$'\nIdempotency-Key: scan-first' >"$work/sqlmap3.log" 2>&1 || true
if grep -q 'identified the following injection point' "$work/sqlmap3.log"; then
  echo "sqlmap found an injection point in the order path:"; cat "$work/sqlmap3.log"; exit 1
fi
grep -q 'do not appear to be injectable' "$work/sqlmap3.log" || { echo "sqlmap did not finish on the order path:"; tail -30 "$work/sqlmap3.log"; exit 1; }
# The payloads reached the order's own checks (400), not the WAF (403).
grep -q '400 (Bad Request)' "$work/sqlmap3.log" || { echo "sqlmap's payloads on the order path got no 400 from its checks:"; tail -30 "$work/sqlmap3.log"; exit 1; }
if grep -q '403 (Forbidden)' "$work/sqlmap3.log"; then echo "the WAF refused requests on the spared order path:"; tail -30 "$work/sqlmap3.log"; exit 1; fi
grep -A1 'HTTP error codes' "$work/sqlmap3.log" | tail -1 || true

blocked=$(grep -c '"waf match"' "$work/demo.log" || true)
echo "the WAF matched $blocked rules over the run"
echo "scan: all good"
