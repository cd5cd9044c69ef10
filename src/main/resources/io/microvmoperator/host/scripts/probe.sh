# shellcheck shell=sh
# Reads every VM folder under $d in one command: the Nix version, then one line per VM.
# shellcheck disable=SC2154 # variables and functions come from HostScripts and lib.sh
printf 'nix\t%s\n' "$(nix --version 2>/dev/null | head -n 1)"
[ -d "$d" ] || exit 0
# One systemctl for every VM's unit instead of one per VM: it prints a block of properties per
# unit, blocks separated by a blank line; each becomes a line "UNIT<TAB>PROPERTIES" of
# $unit_states, from which observe (lib.sh) takes its VM's.
set --
for v in "$d"/*/; do
  [ -d "$v" ] || continue
  v=${v%/}
  set -- "$@" "microvm@${v##*/}.service"
done
if [ $# -gt 0 ]; then
  # shellcheck disable=SC2034 # read by unit_state in lib.sh
  unit_states="
$(systemctl show -p Id,ActiveState,SubState,MainPID,NRestarts,Result,Job "$@" 2> /dev/null | {
    id=""; props=""
    while IFS= read -r line; do
      case "$line" in
        "") [ -z "$id" ] || printf '%s\t%s\n' "$id" "$props"; id=""; props="" ;;
        Id=*) id=${line#Id=} ;;
        *) props="$props$line " ;;
      esac
    done
    [ -z "$id" ] || printf '%s\t%s\n' "$id" "$props"
  })"
fi
for v in "$d"/*/; do observe "${v%/}"; done
