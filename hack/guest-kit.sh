#!/usr/bin/env bash
# Builds the "guest kit" that the tests' real guests boot from (TestFlake.guest): Debian's cloud
# kernel, the modules the guest's init loads (evdev and button for the ACPI power button; the
# virtio-mmio, virtio-net and virtiofs stack for a guest with SSH and the host's store), a static
# busybox, and the userland of a guest with SSH (TestFlake.sshGuest): this machine's OpenSSH sshd
# and Nix with the shared libraries they load, at their own paths, in a cache outside the checkout:
#   ${XDG_CACHE_HOME:-~/.cache}/microvm-operator/guest/KERNEL-ABI/{vmlinuz,modules/*.ko,busybox,
#   userland/,kernel-package,format}
#   ${XDG_CACHE_HOME:-~/.cache}/microvm-operator/guest/current -> KERNEL-ABI
# The kernel is the package Debian's linux-image-cloud-amd64 depends on (the newest this
# machine's apt knows), fetched with apt-get download; nothing else comes from the network.
# Idempotent: a complete kit of the current format is kept, and the script only prints its folder.
# Needs busybox-static (setup.sh installs it); runs apt-get update when apt knows no kernel yet.
set -euo pipefail

# The kit's layout; a kit of another (older) format is made again. GuestKit checks the same.
format=2

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
    if [ "$(cat "$cache/current/format" 2>/dev/null)" != "$format" ]; then
      echo "guest-kit: keeping an older kit: guests with SSH need format $format (run apt-get update)" >&2
    fi
    readlink -f "$cache/current"
    exit 0
  fi
  echo "guest-kit: apt knows no linux-image-cloud-amd64 (run apt-get update)" >&2
  exit 1
fi
abi=${package#linux-image-}

# sshd and nix (nix-store and nix-env are links to it) with every library they load, each at its
# real path under DEST (/lib is /usr/lib on this merged-/usr Debian), for a guest's initramfs.
copy_userland() {
  local dest=$1 binary file dir
  for binary in /usr/sbin/sshd /usr/bin/nix; do
    for file in "$binary" $(ldd "$binary" | awk '/=> \//{print $3} /^\t\//{print $1}'); do
      dir=$(readlink -f "$(dirname "$file")")
      mkdir -p "$dest$dir"
      cp -L "$file" "$dest$dir/$(basename "$file")"
    done
  done
  ln -s nix "$dest/usr/bin/nix-store"
  ln -s nix "$dest/usr/bin/nix-env"
}
kit="$cache/$abi"

if [ "$(cat "$kit/format" 2>/dev/null)" != "$format" ]; then
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
  for module in drivers/input/evdev drivers/acpi/button drivers/virtio/virtio_ring \
    drivers/virtio/virtio drivers/virtio/virtio_mmio net/core/failover drivers/net/net_failover \
    drivers/net/virtio_net fs/fuse/fuse fs/fuse/virtiofs; do
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
  copy_userland "$work/kit/userland"
  dpkg-deb -f "$work"/"$package"_*.deb Package Version >"$work/kit/kernel-package"
  touch "$work/kit/complete"
  echo "$format" >"$work/kit/format"
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
