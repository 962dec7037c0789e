#!/usr/bin/env bash
# Build kube-apiserver, kube-controller-manager and kube-scheduler v1.20.2 from
# Debian's `kubernetes` source package and cache them for the e2e test tier.
#
#   bash scripts/build-control-plane.sh
#
# Result: ${KTUI_CACHE:-$HOME/.cache/ktui}/k8s-v1.20.2/bin/{kube-apiserver,
# kube-controller-manager,kube-scheduler}; the bin dir is printed on stdout as
# the last line. Idempotent: if the binaries are already cached it prints the
# path and exits 0 at once. Needs root (apt-get) and access to Debian's archive.
set -euo pipefail

K8S_VERSION=1.20.2
CACHE="${KTUI_CACHE:-$HOME/.cache/ktui}"
ROOT="$CACHE/k8s-v$K8S_VERSION"
BIN="$ROOT/bin"
COMPONENTS=(kube-apiserver kube-controller-manager kube-scheduler)

log() { echo "[build-control-plane] $*" >&2; }
die() { log "ERROR: $*"; exit 1; }

have_all() {
  local c
  for c in "${COMPONENTS[@]}"; do
    [[ -x "$BIN/$c" ]] || return 1
  done
  return 0
}

if have_all && command -v etcd >/dev/null 2>&1 && command -v etcdctl >/dev/null 2>&1; then
  echo "$BIN"
  exit 0
fi

[[ "$(id -u)" == 0 ]] || die "must run as root (apt-get is needed)"
export DEBIAN_FRONTEND=noninteractive

# --- 1. deb-src -------------------------------------------------------------
SRC_LIST=/etc/apt/sources.list.d/ktui-deb-src.sources
if [[ ! -f "$SRC_LIST" ]]; then
  if [[ -f /etc/apt/sources.list.d/debian.sources ]]; then
    log "adding deb-src stanzas in $SRC_LIST"
    sed -e 's/^Types:.*/Types: deb-src/' /etc/apt/sources.list.d/debian.sources > "$SRC_LIST.tmp"
    mv "$SRC_LIST.tmp" "$SRC_LIST"
  elif [[ -f /etc/apt/sources.list ]]; then
    log "adding deb-src lines in /etc/apt/sources.list.d/ktui-deb-src.list"
    grep -E '^deb ' /etc/apt/sources.list | sed -e 's/^deb /deb-src /' \
      > /etc/apt/sources.list.d/ktui-deb-src.list
    : > "$SRC_LIST"   # marker so we don't redo it
  else
    die "no apt sources found to derive deb-src from"
  fi
fi
log "apt-get update"
apt-get update -q >&2

# --- 2. tools ---------------------------------------------------------------
# policy-rc.d keeps the etcd-server package from starting its service.
POLICY=/usr/sbin/policy-rc.d
made_policy=0
if [[ ! -e "$POLICY" ]]; then
  printf '#!/bin/sh\nexit 101\n' > "$POLICY"
  chmod +x "$POLICY"
  made_policy=1
fi
cleanup_policy() { if [[ "$made_policy" == 1 ]]; then rm -f "$POLICY"; fi; }
trap cleanup_policy EXIT
log "apt-get install build tools and etcd"
apt-get install -y -q --no-install-recommends \
  golang-go etcd-server etcd-client rsync dpkg-dev make gcc libc6-dev git ca-certificates >&2
cleanup_policy
made_policy=0

# Stop any etcd the package may have started (we run our own on free ports).
if command -v service >/dev/null 2>&1; then service etcd stop >/dev/null 2>&1 || true; fi
if command -v systemctl >/dev/null 2>&1; then
  systemctl stop etcd >/dev/null 2>&1 || true
  systemctl disable etcd >/dev/null 2>&1 || true
fi
for pid in $(pgrep -x etcd 2>/dev/null || true); do
  # only the packaged service (runs as user etcd / default data dir), not ours
  if [[ "$(ps -o user= -p "$pid" 2>/dev/null | tr -d ' ')" == etcd ]]; then
    log "killing packaged etcd service pid $pid"
    kill "$pid" 2>/dev/null || true
  fi
done
if command -v ss >/dev/null 2>&1 && ss -ltn 2>/dev/null | grep -q '127.0.0.1:2379 '; then
  log "WARNING: something still listens on 127.0.0.1:2379"
fi

command -v etcd >/dev/null || die "etcd not found after install"
command -v go >/dev/null || die "go not found after install"
log "go: $(go version)"

if have_all; then
  echo "$BIN"
  exit 0
fi

# --- 3. source --------------------------------------------------------------
WORK="$ROOT/src"
mkdir -p "$WORK"
cd "$WORK"
TREE="$(find "$WORK" -maxdepth 1 -mindepth 1 -type d -name 'kubernetes-*' | head -n1 || true)"
if [[ -z "$TREE" || ! -f "$TREE/Makefile" ]]; then
  rm -rf "$WORK"/kubernetes-* "$WORK"/kubernetes_*
  log "apt-get source kubernetes"
  apt-get source -q kubernetes >&2
  TREE="$(find "$WORK" -maxdepth 1 -mindepth 1 -type d -name 'kubernetes-*' | head -n1)"
fi
[[ -n "$TREE" && -f "$TREE/Makefile" ]] || die "no unpacked kubernetes tree in $WORK"
case "$(basename "$TREE")" in
  *"$K8S_VERSION"*) ;;
  *) die "unpacked $(basename "$TREE"), expected version $K8S_VERSION" ;;
esac
log "source tree: $TREE"

# --- 4. build ---------------------------------------------------------------
export GOPATH="$WORK/.go"
export GOCACHE="$WORK/.gocache"
export CGO_ENABLED=0
mkdir -p "$GOPATH/src/k8s.io"
ln -sfn "$TREE" "$GOPATH/src/k8s.io/kubernetes"
cd "$GOPATH/src/k8s.io/kubernetes"
if [[ -d vendor ]]; then
  export GOFLAGS=-mod=vendor
fi
# A failed earlier make (e.g. without rsync) leaves a broken _output/.
if [[ -d _output && ! -f _output/.ktui-ok ]]; then
  log "removing stale _output/"
  rm -rf _output
fi
log "make (about 4-8 minutes on 2 cores)"
start=$(date +%s)
make WHAT="cmd/kube-apiserver cmd/kube-controller-manager cmd/kube-scheduler" >&2
log "make finished in $(( $(date +%s) - start ))s"
touch _output/.ktui-ok

# Verify in a staging dir first so a bad build never lands in the cache.
STAGE="$ROOT/bin.new"
rm -rf "$STAGE"
mkdir -p "$STAGE"
for c in "${COMPONENTS[@]}"; do
  f="_output/local/bin/$(go env GOOS)/$(go env GOARCH)/$c"
  [[ -x "$f" ]] || f="$(find _output -type f -name "$c" -perm -u+x 2>/dev/null | head -n1 || true)"
  [[ -n "$f" ]] || die "built binary $c not found under _output/"
  install -m 0755 "$f" "$STAGE/$c"
  v="$("$STAGE/$c" --version 2>&1)" || die "$c --version failed: $v"
  log "$c --version: $v"
  case "$v" in
    *"v$K8S_VERSION"*) ;;
    *) log "WARNING: $c reports '$v' (expected v$K8S_VERSION)" ;;
  esac
done
mkdir -p "$BIN"
for c in "${COMPONENTS[@]}"; do
  mv -f "$STAGE/$c" "$BIN/$c"
done
rmdir "$STAGE"

echo "$BIN"
