# shellcheck shell=sh
# Starts the build job $job of $installable detached, unless it runs or finished, waits up to $wait s and reads it.
# shellcheck disable=SC2154 # variables and functions come from HostScripts and lib.sh
vm_folder || exit 1
mkdir -p "$job"
exec 8> "$job/start.lock"
flock -w 60 8 || { echo "another operator holds $job/start.lock" >&2; exit 1; }
if [ ! -e "$job/status" ] && ! job_alive; then
  rm -f "$job/log" "$job/out.json" "$job/info.json"
  # shellcheck disable=SC2016 # expanded by the inner shell, from its arguments
  setsid sh -c 'for try in 1 2 3; do
      nix build -L --json --out-link "$1/result" \
        --option extra-substituters "$3" --option extra-trusted-public-keys "$4" \
        "$2" > "$1/out.json" 2> "$1/log"
      code=$?
      [ $code != 0 ] && grep -qE "$5" "$1/log" || break
    done
    if [ $code = 0 ]; then nix path-info --json "$1/result" > "$1/info.json" 2>> "$1/log"; fi
    echo $code > "$1/status.tmp" && mv "$1/status.tmp" "$1/status"' \
    sh "$job" "$installable" "$subs" "$keys" "$collected" < /dev/null > /dev/null 2>&1 8>&- &
  echo $! > "$job/pid.tmp" && mv -f "$job/pid.tmp" "$job/pid"
  echo started
fi
exec 8>&-
wait_for_job
read_job
