#!/usr/bin/env bash
# Deploys every VM of an inventory with deploy-vm.sh: one after the other, or one job per host
# (the VMs of a host one after the other, the hosts in parallel).
# usage: deploy-fleet.sh one-by-one|per-host INVENTORY   (lines: HOST VM FLAKE)
set -euo pipefail
mode=$1 inventory=$2
deploy_vm=$(dirname "$0")/deploy-vm.sh

deploy_host() {
  grep "^$1 " "$inventory" | while read -r host vm flake; do "$deploy_vm" "$host" "$vm" "$flake"; done
}

case $mode in
  one-by-one)
    while read -r host vm flake; do "$deploy_vm" "$host" "$vm" "$flake"; done < "$inventory"
    ;;
  per-host)
    jobs=()
    while read -r host; do
      deploy_host "$host" &
      jobs+=($!)
    done < <(cut -d' ' -f1 "$inventory" | sort -u)
    for job in "${jobs[@]}"; do wait "$job"; done
    ;;
  *) echo "unknown mode $mode" >&2; exit 2 ;;
esac
