# shellcheck shell=sh
# Reads every VM folder under $d in one command: the Nix version, then one line per VM.
# shellcheck disable=SC2154 # variables and functions come from HostScripts and lib.sh
printf 'nix\t%s\n' "$(nix --version 2>/dev/null | head -n 1)"
[ -d "$d" ] || exit 0
for v in "$d"/*/; do observe "${v%/}"; done
