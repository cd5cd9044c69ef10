# shellcheck shell=sh
# Stops the VM and removes its folder and GC roots, unless the host declares it or it belongs to another MicroVM.
# shellcheck disable=SC2154 # variables and functions come from HostScripts and lib.sh
set -e
if declared_by_host "$d" "$n"; then echo declared-by-host; exit 0; fi
if foreign; then exit 0; fi
stop_unit
rm -f "$gc_roots/$n" "$gc_roots/booted-$n" "$gc_roots/old-$n"
for job in "$d"/.operator/build-*; do drop_job "$job"; done
rm -rf "$d"
