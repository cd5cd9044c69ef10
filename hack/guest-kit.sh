#!/usr/bin/env bash
# Builds the "guest kit" that the tests' real guests boot from (TestFlake.guest): Debian's cloud
# kernel, the two modules the guest's init loads for the ACPI power button, and a static busybox,
# in a cache outside the checkout:
#   ${XDG_CACHE_HOME:-~/.cache}/microvm-operator/guest/KERNEL-ABI/{vmlinuz,modules/*.ko,busybox,
#   kernel-package}
#   ${XDG_CACHE_HOME:-~/.cache}/microvm-operator/guest/current -> KERNEL-ABI
# The kernel is the package Debian's linux-image-cloud-amd64 depends on (the newest this
# machine's apt knows), fetched with apt-get download; nothing else comes from the network.
# Idempotent: a complete kit is kept, and the script only prints its folder.
# Needs busybox-static (setup.sh installs it); runs apt-get update when apt knows no kernel yet.
set -euo pipefail

cache="${XDG_CACHE_HOME:-$HOME/.cache}/microvm-operator/guest"
mkdir -p "$cache"

# The kernel package the machine's apt offers now, e.g. linux-image-6.1.0-57-cloud-amd64.
kernel_package() {
  apt-cache depends linux-image-cloud-amd64 2>/dev/null |
    sed -n 's/^ *Depends: \(linux-image-[0-9][^ ]*-cloud-amd64\)$/\1/p' | head -n 1 || true
}
package=$(kernel_package)
if [ -z "$package" ] && [ ! -f "$cache/current/complete" ]; then
  # No package lists yet (a fresh machine whose packages were all there).
  apt-get update -qq || true
  package=$(kernel_package)
fi
if [ -z "$package" ]; then
  # Offline or no package lists: keep whatever kit is there.
  if [ -f "$cache/current/complete" ]; then
    readlink -f "$cache/current"
    exit 0
  fi
  echo "guest-kit: apt knows no linux-image-cloud-amd64 (run apt-get update)" >&2
  exit 1
fi
abi=${package#linux-image-}
kit="$cache/$abi"

if [ ! -f "$kit/complete" ]; then
  # busybox-static's /bin/busybox runs inside the guest, which has no libc.
  if ! dpkg -s busybox-static >/dev/null 2>&1; then
    echo "guest-kit: busybox-static is not installed" >&2
    exit 1
  fi
  work=$(mktemp -d "$cache/.build-XXXXXX")
  trap 'rm -rf "$work"' EXIT
  echo "guest-kit: fetching $package" >&2
  (cd "$work" && apt-get download -q "$package" >/dev/null 2>&1)
  dpkg-deb -x "$work"/"$package"_*.deb "$work/x"
  mkdir -p "$work/kit/modules"
  cp "$work/x/boot/vmlinuz-$abi" "$work/kit/vmlinuz"
  for module in drivers/input/evdev drivers/acpi/button; do
    base=$(basename "$module")
    source="$work/x/lib/modules/$abi/kernel/$module"
    # busybox insmod takes plain .ko files only; newer Debian kernels ship .ko.xz.
    if [ -f "$source.ko" ]; then
      cp "$source.ko" "$work/kit/modules/$base.ko"
    elif [ -f "$source.ko.xz" ]; then
      xz -dc "$source.ko.xz" >"$work/kit/modules/$base.ko"
    elif [ -f "$source.ko.zst" ]; then
      zstd -dqc "$source.ko.zst" >"$work/kit/modules/$base.ko"
    else
      echo "guest-kit: $package has no $module module" >&2
      exit 1
    fi
  done
  cp /bin/busybox "$work/kit/busybox"
  dpkg-deb -f "$work"/"$package"_*.deb Package Version >"$work/kit/kernel-package"
  touch "$work/kit/complete"
  rm -rf "$kit"
  mv "$work/kit" "$kit"
fi

ln -sfn "$abi" "$cache/current"
# Kits of older kernels go (14 MB each).
for other in "$cache"/*/; do
  other=${other%/}
  [ "$other" = "$kit" ] || [ -L "$other" ] || rm -rf "$other"
done
echo "$kit"
