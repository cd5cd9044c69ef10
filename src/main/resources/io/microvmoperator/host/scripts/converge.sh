# shellcheck shell=sh
# Under the VM's lock: GC roots, the swap of current (keeping old), the flake file (from stdin) or
# the operator's toplevel link, old builds removed, then the unit brought to $want. Ends with the
# VM's probe line. Exit 3: the runner is no longer in the store (collected before its deploy).
# shellcheck disable=SC2154 # variables and functions come from HostScripts and lib.sh
set -e
if foreign; then exit 0; fi
vm_folder
mkdir -p "$d/.operator"
exec 9> "$d/.operator/lock"
flock -w 60 9
if declared_by_host "$d" "$n"; then echo declared-by-host; exit 0; fi
if foreign; then exit 0; fi
if [ "$(head -c 400 "$d/.operator/owner" 2>/dev/null)" != "$owner" ]; then
  printf '%s' "$owner" > "$d/.operator/owner.tmp" && mv -f "$d/.operator/owner.tmp" "$d/.operator/owner"
fi
mkdir -p "$gc_roots"
root() { [ "$(readlink "$gc_roots/$1" 2>/dev/null)" = "$d/$2" ] || ln -sfn "$d/$2" "$gc_roots/$1"; }
root "$n" current; root "booted-$n" booted; root "old-$n" old
cur=$(readlink "$d/current" 2>/dev/null || true)
if [ "$cur" != "$new" ]; then
  if ! nix-store --realise "$new" > /dev/null; then
    # Collected before it was deployed: forget the builds of it, so it is built again.
    for job in "$d"/.operator/build-*; do
      if [ -e "$job/status" ] && [ "$(readlink "$job/result" 2>/dev/null)" = "$new" ]; then
        drop_job "$job"
      fi
    done
    echo "the runner is not in the host's store any more" >&2; exit 3
  fi
  # MicroVM.nix's units run nothing else (ConditionPathExists=.../current/bin/microvm-run)
  if [ ! -x "$new/bin/microvm-run" ]; then echo not-a-runner; exit 0; fi
  if [ -n "$cur" ] && [ -e "$cur" ]; then
    nix-store --realise "$cur" --add-root "$d/old" --indirect > /dev/null
  fi
  nix-store --realise "$new" --add-root "$d/current" --indirect > /dev/null
  echo swapped
fi
cat > "$d/.operator/flake.tmp"
if [ ! -s "$d/.operator/flake.tmp" ]; then
  # A prebuilt runner: no flake (a stale one would let microvm -u rebuild something
  # else) but a toplevel link, so that microvm -l lists it and microvm -u leaves it be.
  rm -f "$d/flake"
  sys=$(readlink "$d/current/share/microvm/system" 2>/dev/null || true)
  case "$sys" in
    /nix/store/*)
      touch "$d/.operator/toplevel"
      if [ "$(readlink "$d/toplevel" 2>/dev/null)" != "$sys" ]; then
        ln -sfn "$sys" "$d/.operator/toplevel.tmp" && mv -fT "$d/.operator/toplevel.tmp" "$d/toplevel"
      fi ;;
    *) drop_operator_toplevel ;;
  esac
else
  if ! cmp -s "$d/.operator/flake.tmp" "$d/flake"; then mv -f "$d/.operator/flake.tmp" "$d/flake"; fi
  drop_operator_toplevel
fi
rm -f "$d/.operator/flake.tmp"
for job in "$d"/.operator/build-*; do
  result=$(readlink "$job/result" 2>/dev/null || true)
  if [ -e "$job/status" ] && [ "$result" != "$new" ] && [ "$result" != "$keep" ]; then drop_job "$job"; fi
done
unit_state=$(systemctl show -p ActiveState,NRestarts,SubState,Job "$unit" 2>/dev/null || true)
active=${unit_state#*ActiveState=}; active=${active%%[!a-z-]*}
sub=${unit_state#*SubState=}; sub=${sub%%[!a-z-]*}
job=${unit_state#*Job=}; job=${job%%[!0-9]*}
restarts=0
case "$unit_state" in *NRestarts=[1-9]*) restarts=1 ;; esac
booted=$(readlink "$d/booted" 2>/dev/null || true)
# NRestarts must count the ends of the runner started here only: reset-failed zeroes it.
zero_restarts() { [ "$restarts" = 0 ] || systemctl reset-failed "$unit" 2>/dev/null || true; }
if [ "$want" = stopped ]; then
  stop_unit
elif [ "$active" != active ]; then
  # Waiting to run its ended runner again (RestartSec, or the restart job's start queued while
  # the unit is inactive): a start would join that restart and count it
  if [ "$sub" = auto-restart ] || { [ "$active" != activating ] && [ -n "$job" ]; }; then
    systemctl stop "$unit"
  fi
  zero_restarts
  echo started
  systemctl start "$unit" || echo start-failed
elif [ "$force" = 1 ] || { [ "$onchange" = 1 ] && [ "$booted" != "$new" ]; }; then
  zero_restarts
  echo restarted
  systemctl restart "$unit" || echo start-failed
fi
observe "$d"
