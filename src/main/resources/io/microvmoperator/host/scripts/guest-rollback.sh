# shellcheck shell=sh
# Runs in the guest after a failed activation: switches it back to the system it ran, $previous
# (the system profile too, when the guest's Nix knows that path). Prints the exit status of
# $previous/bin/switch-to-configuration switch as "activation STATUS" and then "current PATH".
# shellcheck disable=SC2154 # variables and functions come from HostScripts and lib.sh
nix-env -p /nix/var/nix/profiles/system --set "$previous" >/dev/null 2>&1 || true
status=0
"$previous/bin/switch-to-configuration" switch >&2 || status=$?
printf 'activation %s\n' "$status"
printf 'current %s\n' "$(readlink /run/current-system 2>/dev/null || true)"
