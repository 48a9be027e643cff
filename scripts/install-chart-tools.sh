#!/usr/bin/env bash
# Installs the pinned tools the chart and alert checks run (test/helm, test/dashboards):
#
#   helm                 built from source through the Go module proxy (`go install`)
#   kubernetes-validate  strict JSON schemas of the Kubernetes API, from PyPI, in its own venv
#   promtool             taken out of Debian's `prometheus` package (only the binary, no service)
#
# Everything lands in one cache directory outside the checkout, so fresh clones on the
# same machine reuse it and a second run returns at once:
#
#   ${SLUICE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice-tools}/bin/{helm,kubernetes-validate,promtool}
#
# The tests look there unless HELM_BIN, KUBERNETES_VALIDATE_BIN or PROMTOOL_BIN point elsewhere.
# Usage: scripts/install-chart-tools.sh [--print-dir]
set -euo pipefail

HELM_VERSION=v3.21.4
# The Kubernetes minor that helm v3.21.4 is built against (k8s.io/* v0.36.x in its go.mod).
# `go install` skips helm's Makefile, so without these ldflags helm reports itself as "v3.21"
# and renders .Capabilities.KubeVersion as v1.20.0.
HELM_KUBE_MINOR=36
KUBERNETES_VALIDATE_VERSION=1.37.0

tools_dir="${SLUICE_TOOLS_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/sluice-tools}"
bin_dir="$tools_dir/bin"

if [[ "${1:-}" == "--print-dir" ]]; then
  echo "$bin_dir"
  exit 0
fi

mkdir -p "$bin_dir"
log() { echo "install-chart-tools: $*" >&2; }

install_helm() {
  local dest="$tools_dir/helm-$HELM_VERSION"
  # Captured, not piped into `grep -q`: under pipefail an early-closing grep can fail the check.
  if [[ -x "$dest/helm" ]] && [[ "$("$dest/helm" version --short 2>/dev/null || true)" == "$HELM_VERSION"* ]]; then
    ln -sfn "$dest/helm" "$bin_dir/helm"
    return
  fi
  command -v go >/dev/null || { log "go is required to build helm (https://go.dev/doc/install)"; return 1; }
  log "building helm $HELM_VERSION with go install (first run takes a few minutes)"
  local ldflags="-s -w"
  ldflags+=" -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1"
  ldflags+=" -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$HELM_KUBE_MINOR"
  ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1"
  ldflags+=" -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$HELM_KUBE_MINOR"
  mkdir -p "$dest"
  CGO_ENABLED=0 GOBIN="$dest" go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  ln -sfn "$dest/helm" "$bin_dir/helm"
}

install_kubernetes_validate() {
  local dest="$tools_dir/kubernetes-validate-$KUBERNETES_VALIDATE_VERSION"
  if [[ -x "$dest/bin/kubernetes-validate" ]] && "$dest/bin/kubernetes-validate" --version >/dev/null 2>&1; then
    ln -sfn "$dest/bin/kubernetes-validate" "$bin_dir/kubernetes-validate"
    return
  fi
  command -v python3 >/dev/null || { log "python3 is required for kubernetes-validate"; return 1; }
  log "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION into $dest"
  rm -rf "$dest"
  python3 -m venv "$dest"
  "$dest/bin/pip" install --quiet --disable-pip-version-check "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
  ln -sfn "$dest/bin/kubernetes-validate" "$bin_dir/kubernetes-validate"
}

install_promtool() {
  local dest="$tools_dir/promtool"
  if [[ -x "$dest/promtool" ]] && "$dest/promtool" --version >/dev/null 2>&1; then
    ln -sfn "$dest/promtool" "$bin_dir/promtool"
    return
  fi
  command -v apt-get >/dev/null || { log "apt-get is required to fetch promtool (Debian package 'prometheus')"; return 1; }
  local work
  work="$(mktemp -d)"
  chmod 0755 "$work"
  log "fetching promtool from the Debian 'prometheus' package"
  if ! (cd "$work" && apt-get download prometheus >/dev/null 2>&1); then
    # The package lists may be empty on a fresh machine.
    if [[ "$(id -u)" == "0" ]]; then
      apt-get update >/dev/null
    else
      log "cannot download the package; run 'sudo apt-get update' first"
    fi
    (cd "$work" && apt-get download prometheus >/dev/null)
  fi
  dpkg-deb -x "$work"/prometheus_*.deb "$work/root"
  mkdir -p "$dest"
  install -m 0755 "$work/root/usr/bin/promtool" "$dest/promtool"
  rm -rf "$work"
  ln -sfn "$dest/promtool" "$bin_dir/promtool"
}

install_helm
install_kubernetes_validate
install_promtool

log "ready: $("$bin_dir/helm" version --short), kubernetes-validate $("$bin_dir/kubernetes-validate" --version 2>&1 | awk '{print $NF}'), $(promtool_version="$("$bin_dir/promtool" --version 2>&1 || true)"; echo "${promtool_version%%$'\n'*}")"
echo "$bin_dir"
