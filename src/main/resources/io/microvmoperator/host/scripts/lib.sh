# shellcheck shell=sh
# Functions shared by the host scripts. HostScripts sends this library before each script, after
# the script's variables (quoted by Shell.quote); the scripts run under the login user's POSIX sh.
# shellcheck disable=SC2154 # the variables are assigned by HostScripts before this library

# MicroVM.nix's GC roots for VM folders: NAME (current), booted-NAME, old-NAME; and the folder of
# the host's systemd units. HostScripts never sets either; the scripts' own tests point them into a
# temporary folder.
gc_roots=${gc_roots:-/nix/var/nix/gcroots/microvm}
units_dir=${units_dir:-/etc/systemd/system}

# declared_by_host DIR NAME: whether the host's own configuration declares the VM: MicroVM.nix's
# install-microvm-NAME.service exists, or a toplevel link that this operator did not write (it
# writes one for prebuilt runners, and marks it in .operator/toplevel).
declared_by_host() {
  [ -e "$units_dir/install-microvm-$2.service" ] && return 0
  { [ -e "$1/toplevel" ] || [ -L "$1/toplevel" ]; } && [ ! -e "$1/.operator/toplevel" ]
}

# observe DIR: one probe line for a VM folder (links, declared by host, flake file, unit state,
# owner marker), tab-separated, as ProbeParser reads it.
observe() {
  v=$1; n=${v##*/}
  cur=$(readlink "$v/current" 2>/dev/null || true)
  boot=$(readlink "$v/booted" 2>/dev/null || true)
  top=0
  if declared_by_host "$v" "$n"; then top=1; fi
  fl=$(base64 -w 0 < "$v/flake" 2>/dev/null || true)
  own=$(head -c 400 "$v/.operator/owner" 2>/dev/null | tr -d '\t\n' || true)
  st=$(unit_state "$n")
  printf 'vm\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$n" "$cur" "$boot" "$top" "$fl" "$st" "$own"
}

# unit_state NAME: ActiveState, SubState, MainPID, NRestarts, Result and Job of microvm@NAME.service on
# one line; from $unit_states (probe.sh's one systemctl for every unit, a line "UNIT<TAB>PROPERTIES"
# per unit after a leading newline) when it has the unit, else from a systemctl of its own.
unit_state() {
  case "${unit_states-}" in
    *"
microvm@$1.service	"*)
      us=${unit_states#*"
microvm@$1.service	"}
      printf '%s' "${us%%"
"*}" ;;
    *) systemctl show -p ActiveState,SubState,MainPID,NRestarts,Result,Job "microvm@$1.service" 2> /dev/null \
      | tr '\n' ' ' ;;
  esac
}

# foreign: whether the folder's owner marker (.operator/owner, "NAMESPACE/NAME UID" of the MicroVM
# that manages $d) names another MicroVM than $owner (or $adopt); prints that owner. A folder
# without a marker (made by hand, or by an operator before markers) is nobody's.
foreign() {
  [ -e "$d/.operator/owner" ] || return 1
  marked=$(head -c 400 "$d/.operator/owner")
  [ "$marked" != "$owner" ] && [ "$marked" != "$adopt" ] || return 1
  echo "owned-by $marked"
}

# runs_or_will_run: whether $unit runs, starts, stops, waits to be run again (Restart=always after
# its runner ended), or has a job queued while inactive: systemd's restart job stops the unit and
# then waits, with the unit inactive, until the units it needs have started again.
runs_or_will_run() {
  shown=" $(systemctl show -p ActiveState,Job "$unit" 2> /dev/null | tr '\n' ' ')"
  case "$shown" in
    *" ActiveState=active "* | *" ActiveState=activating "* | *" ActiveState=reloading "*) return 0 ;;
    *" ActiveState=deactivating "* | *" Job="[0-9]*) return 0 ;;
  esac
  return 1
}

# stop_unit: stops $unit when it runs or will run, and then prints "stopped"; fails when the unit
# still runs or will run afterwards.
stop_unit() {
  if runs_or_will_run; then systemctl stop "$unit"; echo stopped; fi
  if runs_or_will_run; then
    echo "$unit is still $(systemctl is-active "$unit" 2>/dev/null) after systemctl stop" >&2
    return 1
  fi
}

# vm_folder: makes $d as MicroVM.nix's own tools leave a VM folder, group kvm and group-writable,
# so that its units (which run as microvm:kvm) can create booted, sockets and images there;
# corrects a folder an older operator made root:root 0755.
vm_folder() {
  mkdir -p "$d" || return 1
  if [ "$(stat -c %G "$d")" != kvm ] && getent group kvm > /dev/null 2>&1; then
    chgrp kvm "$d" || return 1
  fi
  [ "$(stat -c %a "$d")" = 775 ] || chmod 0775 "$d"
}

# job_alive JOB: whether the process of the build job JOB lives.
job_alive() { [ -e "$1/pid" ] && kill -0 "$(cat "$1/pid")" 2>/dev/null; }

# wait_for_job: waits up to $wait seconds while the build job's process lives.
wait_for_job() {
  if [ ! -e "$job/status" ] && job_alive "$job"; then
    timeout "$wait" tail --pid="$(cat "$job/pid")" -s 0.02 -f /dev/null || true
  fi
}

# read_job: prints the build job's state, as BuildJobParser reads it: its status, out.json,
# info.json and log tail; or running; or missing.
read_job() {
  if [ -e "$job/status" ]; then
    printf 'status %s\n' "$(cat "$job/status")"
    tr -d '\n' < "$job/out.json"; echo
    tr -d '\n' < "$job/info.json" 2>/dev/null; echo
    tail -n 30 "$job/log"
  elif job_alive "$job"; then
    echo running
  else
    echo missing
  fi
}

# drop_job JOB: forgets a finished build job, and the GC root a batch keeps for it in
# STATE/.operator/BATCH/ (named in JOB/root); the batch's folder goes with its last root.
drop_job() {
  if [ -e "$1/root" ]; then
    set -- "$1" "$(head -c 200 "$1/root")" "${1%/*/.operator/build-*}/.operator"
    case "$2" in
      */*/* | *..*) ;;
      batch-*/root*)
        rm -f "$3/$2"
        set -- "$1" "$3/${2%%/*}"
        set -- "$1" "$2" "$2"/root*
        [ -e "$3" ] || [ -L "$3" ] || rm -rf "$2" ;;
    esac
  fi
  rm -rf "$1"
}

# drop_operator_toplevel: removes the toplevel link this operator wrote for a prebuilt runner.
drop_operator_toplevel() {
  if [ -e "$d/.operator/toplevel" ]; then rm -f "$d/toplevel" "$d/.operator/toplevel"; fi
}
