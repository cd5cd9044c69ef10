#!/usr/bin/env bash
# Prepares this machine for the tests and the local demo: Debian packages (Nix, OpenSSH, etcd,
# Lua, qemu), the cached Kubernetes and Helm binaries, the guest kit the real test guests boot
# from (hack/guest-kit.sh), and the folders sshd and the test hosts need.
# Idempotent and quick when everything is already there. Needs root.
set -euo pipefail
cd "$(dirname "$0")/.."

# strace records the files the operator writes (SecretsIT); lua5.1 and lua-yaml run the Argo CD health checks' tests (Argo CD's Lua is 5.1).
# systemd, dbus and polkitd run inside each test host (its PID 1, its bus and the polkit rule of
# docs/hosts.md; testenv/host-init). Real test guests (TestFlake.guest): qemu under TCG, a static
# busybox for their initramfs; Perl speaks QMP to them. shellcheck checks the scripts that run on
# test hosts (ShellScriptsTest).
packages=(nix-bin openssh-server etcd-server git iproute2 util-linux procps strace lua5.1 lua-yaml
  systemd dbus polkitd qemu-system-x86 busybox-static perl shellcheck)
command -v java >/dev/null || packages+=(openjdk-17-jdk-headless)
command -v mvn >/dev/null || packages+=(maven)
command -v go >/dev/null || packages+=(golang-go)

missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing ${missing[*]}" >&2
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# The test hosts' systemd needs cgroup v2 (at /sys/fs/cgroup/unified on a hybrid machine).
[ -f /sys/fs/cgroup/unified/cgroup.procs ] || [ -f /sys/fs/cgroup/cgroup.procs ] ||
  echo "setup: warning: no cgroup v2 hierarchy; test hosts cannot start systemd" >&2

# The test hosts bind their own folders over these inside their mount namespaces.
mkdir -p /nix /var/lib/microvms /etc/nix /run/sshd

# MicroVM.nix's own user and group, as its host module makes them: user microvm, group kvm
# (Debian has no kvm group). UnprivilegedHostIT logs in as microvm, whose home is the state
# directory. Its password is '*' (none, and not locked): sshd without PAM refuses a locked
# account's keys.
getent group kvm >/dev/null || groupadd --system kvm
if ! id -u microvm >/dev/null 2>&1; then
  useradd --system --gid kvm --shell /bin/bash --home-dir /var/lib/microvms --no-create-home \
    --password '*' microvm
elif [ "$(id -gn microvm)" != kvm ]; then
  usermod --gid kvm microvm
fi

K8S_VERSION="$(grep -m1 -o "<kubernetes.version>[^<]*" pom.xml | cut -d">" -f2)"
K8S_VERSION="$K8S_VERSION" hack/k8s-binaries.sh >/dev/null

HELM_VERSION="$(grep -m1 -o "<helm.version>[^<]*" pom.xml | cut -d">" -f2)"
HELM_VERSION="$HELM_VERSION" hack/helm-binary.sh >/dev/null

# The Go test modules of hack/prometheus (the packaged jar's /metrics through Prometheus' parser,
# run by hack/test.sh and PackagedOperatorIT; the alert rules through Prometheus' rule parser):
# their modules from the Go proxy.
go -C hack/prometheus mod download
go -C hack/prometheus/rules mod download

# Debian's cloud kernel, its evdev and button modules and busybox, in ~/.cache (not the checkout).
hack/guest-kit.sh >/dev/null

# The Go modules of gitops/conformance (kstatus, Flux's fork, gopher-lua), from the Go module
# proxy into Go's module cache (outside the checkout).
(cd gitops/conformance && go mod download)
