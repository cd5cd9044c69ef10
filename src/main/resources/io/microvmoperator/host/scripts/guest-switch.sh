# shellcheck shell=sh
# Runs in the guest (over SSH through the host): switches the running guest to $system as
# MicroVM.nix's sshSwitch does, once it is sure that this is the guest $hostname and that $system is
# in its store (the host's store, shared). Prints:
#   host NAME          the guest's /etc/hostname
#   previous PATH      what /run/current-system pointed at before
#   other-host         NAME is not $hostname: nothing was changed
#   absent             $system or $registration is not in the guest's store: nothing was changed
#   activation STATUS  the exit status of $system/bin/switch-to-configuration switch
#   current PATH       what /run/current-system points at afterwards
# Loading the registration or setting the profile fails the command (exit 1) before any activation.
# shellcheck disable=SC2154 # variables and functions come from HostScripts and lib.sh
actual=$(cat /etc/hostname 2>/dev/null || true)
printf 'host %s\n' "$actual"
printf 'previous %s\n' "$(readlink /run/current-system 2>/dev/null || true)"
if [ "$actual" != "$hostname" ]; then
  echo other-host
  exit 0
fi
if [ ! -x "$system/bin/switch-to-configuration" ] || [ ! -f "$registration" ]; then
  echo absent
  exit 0
fi
nix-store --load-db <"$registration" || exit 1
nix-env -p /nix/var/nix/profiles/system --set "$system" || exit 1
status=0
"$system/bin/switch-to-configuration" switch >&2 || status=$?
printf 'activation %s\n' "$status"
printf 'current %s\n' "$(readlink /run/current-system 2>/dev/null || true)"
