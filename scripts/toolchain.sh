#!/usr/bin/env bash
# proofwork toolchain wrapper (like a Gradle wrapper): makes sure a Node >= 22.13 runtime and the
# project's dependencies are present, then runs an npm script under that runtime.
#
#   bash scripts/toolchain.sh run <npm-script> [args...]   run an npm script under Node >= 22
#   bash scripts/toolchain.sh exec <command> [args...]     run any command under Node >= 22
#   bash scripts/toolchain.sh env                           print the PATH export to use in a shell
#
# When the system Node is older than 22.13, Node 22 is fetched from the npm registry (package `node`)
# into .toolchain/ (git-ignored). Dependencies are (re)installed from package-lock.json whenever
# package-lock.json changed since the last install, always under Node 22 so that Hardhat's native
# simulator (EDR, engines >= 22) is installed.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_MIN_MAJOR=22
NODE_MIN_MINOR=13
NODE_PKG_SPEC="node@22"
TOOLCHAIN_DIR="$ROOT/.toolchain/node"

log() { printf '[toolchain] %s\n' "$*" >&2; }

node_ok() {
  # $1: a node binary. True when it is >= 22.13.
  local v
  v="$("$1" -p 'process.versions.node' 2>/dev/null)" || return 1
  local major minor
  major="${v%%.*}"; minor="${v#*.}"; minor="${minor%%.*}"
  [ "$major" -gt "$NODE_MIN_MAJOR" ] || { [ "$major" -eq "$NODE_MIN_MAJOR" ] && [ "$minor" -ge "$NODE_MIN_MINOR" ]; }
}

ensure_node() {
  if command -v node >/dev/null 2>&1 && node_ok "$(command -v node)"; then
    return 0
  fi
  local local_node="$TOOLCHAIN_DIR/node_modules/.bin/node"
  if [ ! -x "$local_node" ] || ! node_ok "$local_node"; then
    command -v npm >/dev/null 2>&1 || { log "error: neither Node >= 22.13 nor npm is installed; install Node.js first"; exit 1; }
    log "system Node is $(node -v 2>/dev/null || echo 'missing'); fetching $NODE_PKG_SPEC from the npm registry into .toolchain/"
    local t0=$SECONDS
    mkdir -p "$TOOLCHAIN_DIR"
    npm install --prefix "$TOOLCHAIN_DIR" --no-save --no-audit --no-fund --loglevel=error "$NODE_PKG_SPEC" >&2
    node_ok "$local_node" || { log "error: fetched Node does not run: $local_node"; exit 1; }
    log "Node $("$local_node" -v) ready in $((SECONDS - t0))s"
  fi
  export PATH="$TOOLCHAIN_DIR/node_modules/.bin:$PATH"
}

lock_hash() {
  node -e 'const c=require("crypto"),f=require("fs");const h=c.createHash("sha256");h.update(f.readFileSync(process.argv[1]));h.update(process.versions.node.split(".")[0]);process.stdout.write(h.digest("hex"))' "$ROOT/package-lock.json"
}

ensure_deps() {
  local stamp="$ROOT/node_modules/.proofwork-lock-hash"
  local want
  want="$(lock_hash)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ] && [ -d "$ROOT/node_modules/@nomicfoundation/edr" ]; then
    return 0
  fi
  log "installing dependencies (npm install from package-lock.json) under Node $(node -v)"
  local t0=$SECONDS
  # Not `npm ci`: the registry mirror this project is built against lacks some other platforms'
  # optional EDR binaries, which `npm ci` insists on seeing in the lock file. `npm install --no-save`
  # installs the locked versions and leaves package.json and package-lock.json untouched.
  (cd "$ROOT" && npm install --no-save --no-audit --no-fund --loglevel=error >&2)
  # npm drops an optional dependency whose download failed without a word (a registry hiccup,
  # e.g. a proxy's certificate error), and the WebGPU backend and its tests need two of them. On
  # linux-x64, where they install, missing ones are fetched again (twice), then reported.
  local tries=0
  while [ -n "$(missing_optional)" ]; do
    tries=$((tries + 1))
    if [ "$tries" -gt 2 ]; then
      log "WARNING: optional dependencies not installed: $(missing_optional) — the WebGPU backend will be skipped and its tests fail (registry unreachable? run the command again)"
      break
    fi
    log "optional dependencies missing after npm install: $(missing_optional) — fetching them again ($tries/2)"
    sleep $((tries * 5))
    # named explicitly at their package.json versions: a plain `npm install` calls the tree
    # "up to date" without them
    # shellcheck disable=SC2046
    (cd "$ROOT" && npm install --no-save --no-audit --no-fund --loglevel=error $(optional_specs) >&2) || true
  done
  printf '%s' "$want" > "$stamp"
  log "dependencies installed in $((SECONDS - t0))s"
}

# `name@version` of each missing optional dependency, as package.json pins it.
optional_specs() {
  # shellcheck disable=SC2046
  node -e 'const o=require(process.argv[1]).optionalDependencies||{};console.log(process.argv.slice(2).map(p=>p+"@"+o[p]).join(" "))' \
    "$ROOT/package.json" $(missing_optional)
}

# Optional dependencies this platform must have (the WebGPU backend: Dawn for Node, TF.js's backend).
missing_optional() {
  [ "$(uname -s)-$(uname -m)" = "Linux-x86_64" ] || return 0
  local p out=""
  for p in webgpu @tensorflow/tfjs-backend-webgpu; do
    [ -f "$ROOT/node_modules/$p/package.json" ] || out="$out $p"
  done
  printf '%s' "${out# }"
}

cmd="${1:-}"
shift || true
case "$cmd" in
  run)
    ensure_node; ensure_deps
    cd "$ROOT"
    # `--` hands every further argument to the script: without it npm would take options such as
    # `npm start -- --batch 1000` as its own config (`--batch`) and pass only the rest ("1000")
    script="$1"
    shift
    if [ $# -gt 0 ]; then exec npm run --silent "$script" -- "$@"; fi
    exec npm run --silent "$script"
    ;;
  exec)
    ensure_node; ensure_deps
    exec "$@"
    ;;
  env)
    ensure_node
    printf 'export PATH="%s:$PATH"\n' "$(dirname "$(command -v node)")"
    ;;
  *)
    echo "usage: bash scripts/toolchain.sh run <npm-script> [args...] | exec <cmd> [args...] | env" >&2
    exit 2
    ;;
esac
