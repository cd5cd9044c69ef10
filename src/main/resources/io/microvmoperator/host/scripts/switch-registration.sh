# shellcheck shell=sh
# Puts the registration of $system's closure (what nix-store --load-db reads: each path's hash,
# size, deriver and references, as nix-store --dump-db prints it) into the store as a path named
# "registration", rooted by the VM folder $d (.operator/registration), and prints that path: a guest
# that shares the host's store reads it from there, as MicroVM.nix's guests read their closure
# info's registration at boot.
# shellcheck disable=SC2154 # variables and functions come from HostScripts and lib.sh
set -e
mkdir -p "$d/.operator"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
nix-store -qR "$system" | xargs nix-store --dump-db >"$work/registration"
path=$(nix-store --add "$work/registration")
nix-store --realise "$path" --add-root "$d/.operator/registration" --indirect >/dev/null
printf '%s\n' "$path"
