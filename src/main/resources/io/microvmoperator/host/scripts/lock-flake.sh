# shellcheck shell=sh
# Locks the flake $ref: nix flake metadata --refresh prints the locked reference.
# shellcheck disable=SC2154 # variables and functions come from HostScripts and lib.sh
nix flake metadata --json --refresh "$ref"
