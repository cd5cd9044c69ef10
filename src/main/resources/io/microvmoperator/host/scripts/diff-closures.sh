# shellcheck shell=sh
# Prints what changes from $from to $to (package versions and sizes).
# shellcheck disable=SC2154 # variables and functions come from HostScripts and lib.sh
nix store diff-closures "$from" "$to"
