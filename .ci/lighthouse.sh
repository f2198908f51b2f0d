#!/usr/bin/env bash
# Lighthouse on the phone pages of a running `tuango demo`, with
# Debian's Chromium: accessibility >= 95 and performance >= 90 on the
# storefront, cart, checkout and the leader's console, and the deal list (the storefront) under
# 200 KB transferred. Reports go to $LIGHTHOUSE_OUT (default a temp folder).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$PATH:/usr/local/go/bin"
export CHROME_PATH="${CHROME_PATH:-/usr/bin/chromium}"

work=$(mktemp -d)
out="${LIGHTHOUSE_OUT:-$work/reports}"
mkdir -p "$out"
demo_pid=""
cleanup() {
  if [ -n "$demo_pid" ]; then kill "$demo_pid" 2>/dev/null || true; wait "$demo_pid" 2>/dev/null || true; fi
  rm -rf "$work/data" "$work/chrome" "$work/tuango"
}
trap cleanup EXIT

# Lighthouse 12.8.2 is pinned by .ci/lighthouse/package-lock.json: the 13
# line needs Node.js 22.19, and Debian 12 has Node.js 20.
if [ ! -x .ci/lighthouse/node_modules/.bin/lighthouse ] || [ "${CI:-}" = true ]; then
  npm ci --prefix .ci/lighthouse --no-audit --no-fund --loglevel=error
fi
lighthouse=.ci/lighthouse/node_modules/.bin/lighthouse
echo "lighthouse $("$lighthouse" --version) on node $(node --version), $("$CHROME_PATH" --version)"

go build -o "$work/tuango" ./cmd/tuango
# Cheap password hashing: the run logs in once, and the machine is shared.
"$work/tuango" demo --data "$work/data" --addr 127.0.0.1:0 --argon2-memory-kib 1024 --argon2-passes 1 --ids off --rate-limit off >"$work/demo.out" 2>"$work/demo.log" &
demo_pid=$!
base=""
for _ in $(seq 1 300); do
  base=$(sed -n 's/^tuango demo listening on \(http:[^ ]*\).*/\1/p' "$work/demo.out")
  [ -n "$base" ] && curl -fsS "$base/healthz" >/dev/null 2>&1 && break
  kill -0 "$demo_pid" 2>/dev/null || { cat "$work/demo.log"; echo "tuango demo exited"; exit 1; }
  sleep 0.2
done
[ -n "$base" ] || { echo "tuango demo did not start"; exit 1; }
echo "tuango demo at $base"

# login JAR PHONE NEXT signs a demo account in as a browser does: the login
# page first, for its form token (bound to the browser's cookie), then the form.
login() {
  local token
  token=$(curl -fsS -c "$1" -b "$1" "$base/login" | sed -n '/name="csrf"/{s/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p;q}')
  curl -fsS -c "$1" -b "$1" -o /dev/null -d "csrf=$token&phone=$2&password=tuango-demo&next=$3" "$base/login"
}

# A demo customer (their home pickup point is set) with one deal in the
# cart: the cookies Lighthouse sends.
jar="$work/cookies"
login "$jar" 13900001001 /
home=$(curl -fsS -c "$jar" -b "$jar" "$base/")
csrf=$(sed -n '/name="csrf"/{s/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p;q}' <<<"$home")
deal=$(sed -n '/name="deal_id"/{s/.*name="deal_id" value="\([^"]*\)".*/\1/p;q}' <<<"$home")
curl -fsS -c "$jar" -b "$jar" -o /dev/null -d "csrf=$csrf&action=add&deal_id=$deal" "$base/cart"
cookies() { awk -F'\t' 'NF >= 7 && $6 ~ /^(__Host-)?tuango_/ {printf "%s%s=%s", sep, $6, $7; sep="; "}' "$1"; }
headers=$(printf '{"Cookie":"%s"}' "$(cookies "$jar")")
# A demo leader, for the leader's console (a phone page like the customer's).
leader_jar="$work/leader-cookies"
login "$leader_jar" 13900002001 /
leader_headers=$(printf '{"Cookie":"%s"}' "$(cookies "$leader_jar")")

# Each page is measured once; a page below the bar on that run is measured
# twice more and judged on the median of the three, as Lighthouse CI does:
# on a shared 2-core machine one run can lose a few points of performance
# to a neighbour's work. LIGHTHOUSE_RUNS=3 measures every page three times.
runs=${LIGHTHOUSE_RUNS:-1}
fail=0
# lh runs Lighthouse once more when Lighthouse itself fails to run (such as
# NO_NAVSTART, "Something went wrong with recording the trace", seen on a
# busy machine); a run that completes is judged on its scores below, never
# retried.
lh() {
  rm -rf "$work/chrome"
  "$lighthouse" "$@" && return 0
  echo "Lighthouse did not complete a run (its own error above); once more"
  rm -rf "$work/chrome"
  "$lighthouse" "$@"
}
# judge NAME PATH FINAL FILE... prints the median run's scores. It exits 0
# when they meet the bar, 1 when they do not and FINAL is 1, and 2 when
# they do not on fewer than three runs and FINAL is 0 (measure again).
judge() {
  node -e '
    const [name, path, final, ...files] = process.argv.slice(1);
    const runs = files.map(f => require(f)).map(r => ({r,
      perf: Math.round(r.categories.performance.score * 100),
      a11y: Math.round(r.categories.accessibility.score * 100),
      kb: Math.round(r.audits["total-byte-weight"].numericValue / 1024)}));
    for (const {r} of runs) if (r.finalDisplayedUrl && !r.finalDisplayedUrl.endsWith(path)) { console.log(`${name}: Lighthouse ended at ${r.finalDisplayedUrl}, not ${path}`); process.exit(1); }
    runs.sort((a, b) => a.perf - b.perf);
    const m = runs[Math.floor(runs.length / 2)];
    let ok = m.perf >= 90 && m.a11y >= 95;
    if (name === "storefront" && m.kb >= 200) ok = false;
    const again = !ok && final !== "1" && runs.length < 3;
    console.log(`${name.padEnd(11)} performance ${m.perf} (runs ${runs.map(x => x.perf).join(" ")})  accessibility ${m.a11y}  transferred ${m.kb} KB  ${ok ? "ok" : again ? "below the bar on this run: measured twice more" : "FAILED"}`);
    if (again) process.exit(2);
    const r = m.r;
    for (const a of Object.values(r.audits)) if (a.score !== null && a.score < 1 && r.categories.accessibility.auditRefs.some(x => x.id === a.id && x.weight > 0)) console.log(`  accessibility: ${a.id}: ${a.title}`);
    if (m.perf < 90) for (const id of ["first-contentful-paint", "largest-contentful-paint", "total-blocking-time", "cumulative-layout-shift", "speed-index"]) console.log(`  ${id}: ${r.audits[id].displayValue}`);
    process.exit(ok ? 0 : 1);
  ' "$@"
}
for page in storefront:/ cart:/cart checkout:/checkout leader:/leader status:/status; do
  name=${page%%:*} path=${page#*:}
  as=$headers
  [ "$name" = leader ] && as=$leader_headers
  measure() {
    lh "$base$path" --quiet --only-categories=performance,accessibility \
      --extra-headers="$as" --output=json --output-path="$out/$name-$1.json" \
      --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --user-data-dir=$work/chrome"
  }
  for i in $(seq 1 "$runs"); do measure "$i"; done
  files() { for i in $(seq 1 "$1"); do echo "$out/$name-$i.json"; done; }
  rc=0
  judge "$name" "$path" 0 $(files "$runs") || rc=$?
  if [ "$rc" = 2 ]; then
    for i in $(seq $((runs + 1)) 3); do measure "$i"; done
    rc=0
    judge "$name" "$path" 1 $(files 3) || rc=$?
  fi
  [ "$rc" = 0 ] || fail=1
done
# The console's pages, as the demo operator, on Lighthouse's desktop
# profile: accessibility >= 95 only. They are desktop pages for staff, not
# held to the phone performance bar; accessibility does not vary between
# runs, so one run each.
ojar="$work/operator-cookies"
# The operator signs in in two steps: the password, then the code of the
# demo operator's authenticator (TOTP, RFC 6238: SHA-1, 6 digits, 30 s).
totp() {
  node -e '
    const b32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    const bits = [...process.argv[1]].map(ch => b32.indexOf(ch).toString(2).padStart(5, "0")).join("");
    const key = Buffer.from(bits.match(/.{8}/g).map(b => parseInt(b, 2)));
    const msg = Buffer.alloc(8); msg.writeBigUInt64BE(BigInt(Math.floor(Date.now() / 30000)));
    const h = require("crypto").createHmac("sha1", key).update(msg).digest();
    const o = h[h.length - 1] & 15;
    console.log(String((h.readUInt32BE(o) & 0x7fffffff) % 1000000).padStart(6, "0"));
  ' "$1"
}
step_page=$(curl -fsS -c "$ojar" -b "$ojar" "$base/login" | sed -n '/name="csrf"/{s/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p;q}' |
  { read -r token; curl -fsS -c "$ojar" -b "$ojar" -d "csrf=$token&phone=13900000001&password=tuango-demo&next=/admin" "$base/login"; })
ticket=$(sed -n '/name="ticket"/{s/.*name="ticket" value="\([^"]*\)".*/\1/p;q}' <<<"$step_page")
token=$(sed -n '/name="csrf"/{s/.*name="csrf" value="\([0-9a-f]*\)".*/\1/p;q}' <<<"$step_page")
[ -n "$ticket" ] || { echo "the operator's login asked for no second step"; exit 1; }
curl -fsS -c "$ojar" -b "$ojar" -o /dev/null --data-urlencode "csrf=$token" --data-urlencode "phone=13900000001" \
  --data-urlencode "ticket=$ticket" --data-urlencode "totp=$(totp TUANGODEMOOPERATORTOTPSECRET2345)" --data-urlencode "next=/admin" "$base/login"
ocookie=$(awk -F'\t' 'NF >= 7 && $6 ~ /^(__Host-)?tuango_/ {printf "%s%s=%s", sep, $6, $7; sep="; "}' "$ojar")
oheaders=$(printf '{"Cookie":"%s"}' "$ocookie")
leader=$(curl -fsS -b "$ojar" "$base/admin/leaders" | grep -o '/admin/leaders/usr_[A-Za-z0-9_]*' | sed -n 1p)
point=$(curl -fsS -b "$ojar" "$base/admin/pickup-points" | grep -o '/admin/pickup-points/pp_[A-Za-z0-9_]*' | sed -n 1p)
for page in dashboard:/admin leaders:/admin/leaders leader:$leader pickup-points:/admin/pickup-points \
  new-pickup-point:/admin/pickup-points/new pickup-point:$point suppliers:/admin/suppliers \
  new-supplier:/admin/suppliers/new new-product:/admin/products/new incidents:/admin/incidents; do
  name=${page%%:*} path=${page#*:}
  lh "$base$path" --quiet --preset=desktop --only-categories=accessibility \
    --extra-headers="$oheaders" --output=json --output-path="$out/console-$name.json" \
    --chrome-flags="--headless=new --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking --disable-component-update --disable-sync --user-data-dir=$work/chrome"
  node -e '
    const [name, path, file] = process.argv.slice(1);
    const r = require(file);
    if (!path || (r.finalDisplayedUrl && !r.finalDisplayedUrl.endsWith(path))) { console.log(`${name}: Lighthouse ended at ${r.finalDisplayedUrl}, not ${path}`); process.exit(1); }
    const a11y = Math.round(r.categories.accessibility.score * 100);
    console.log(`console ${name.padEnd(17)} accessibility ${a11y}  ${a11y >= 95 ? "ok" : "FAILED"}`);
    for (const a of Object.values(r.audits)) if (a.score !== null && a.score < 1 && r.categories.accessibility.auditRefs.some(x => x.id === a.id && x.weight > 0)) console.log(`  accessibility: ${a.id}: ${a.title}`);
    process.exit(a11y >= 95 ? 0 : 1);
  ' "$name" "$path" "$out/console-$name.json" || fail=1
done
echo "reports in $out"
exit $fail
