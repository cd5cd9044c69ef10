# shellcheck shell=sh
# Prints what the live-switch decision (SwitchDecision) reads of two runners, $booted and $new:
# for each, "runner ROLE PATH" (or "missing ROLE PATH" when it is not in the store), then one
# line per entry under it, sorted by name, NAME64 being the entry's name relative to the runner:
#   file ROLE NAME64 MODE CONTENT64   a regular file (MODE x: executable, -: not)
#   large ROLE NAME64 SIZE            a regular file over 64 KiB (not compared; MicroVM.nix's
#                                     runners hold small scripts and lists)
#   link ROLE NAME64 TARGET64         a symbolic link
#   dir ROLE NAME64                   a folder
#   other ROLE NAME64                 anything else
# and "switchable ROLE yes|no": whether share/microvm/system has bin/switch-to-configuration
# (system.switch.enable). Base64 without line breaks, so that no name or content can break a line.
# shellcheck disable=SC2154 # variables and functions come from HostScripts and lib.sh

b64() {
  printf %s "$1" | base64 -w 0
}

list_runner() {
  role=$1 runner=$2
  if [ ! -d "$runner" ]; then
    printf 'missing %s %s\n' "$role" "$runner"
    return 0
  fi
  printf 'runner %s %s\n' "$role" "$runner"
  find "$runner" -mindepth 1 | LC_ALL=C sort | while IFS= read -r path; do
    name=$(b64 "${path#"$runner"/}")
    if [ -L "$path" ]; then
      printf 'link %s %s %s\n' "$role" "$name" "$(b64 "$(readlink "$path")")"
    elif [ -d "$path" ]; then
      printf 'dir %s %s\n' "$role" "$name"
    elif [ -f "$path" ]; then
      size=$(wc -c <"$path")
      mode=-
      [ -x "$path" ] && mode=x
      if [ "$size" -gt 65536 ]; then
        printf 'large %s %s %s\n' "$role" "$name" "$size"
      else
        printf 'file %s %s %s %s\n' "$role" "$name" "$mode" "$(base64 -w 0 <"$path")"
      fi
    else
      printf 'other %s %s\n' "$role" "$name"
    fi
  done
  switchable=no
  [ -x "$runner/share/microvm/system/bin/switch-to-configuration" ] && switchable=yes
  printf 'switchable %s %s\n' "$role" "$switchable"
}

list_runner booted "$booted"
list_runner new "$new"
