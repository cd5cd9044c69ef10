# shellcheck shell=sh
# Starts the build job $job of $installable detached, unless it runs or finished, waits up to $wait s and reads it.
# shellcheck disable=SC2154 # variables and functions come from HostScripts and lib.sh
vm_folder || exit 1
mkdir -p "$job"
exec 8> "$job/start.lock"
flock -w 60 8 || { echo "another operator holds $job/start.lock" >&2; exit 1; }
if [ ! -e "$job/status" ] && ! job_alive "$job"; then
  rm -f "$job/log" "$job/out.json" "$job/info.json" "$job/root"
  setsid sh -c "$build_job" sh "$job" "$installable" "$subs" "$keys" "$collected" \
    < /dev/null > /dev/null 2>&1 8>&- &
  echo $! > "$job/pid.tmp" && mv -f "$job/pid.tmp" "$job/pid"
  echo started
fi
exec 8>&-
wait_for_job
read_job
