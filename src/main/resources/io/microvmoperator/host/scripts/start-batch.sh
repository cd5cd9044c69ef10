# shellcheck shell=sh
# Starts one detached batch ($batch) that builds the runners of the jobs on stdin (JOB, VM folder,
# target, installable; tab-separated) from the flake $flake: one evaluation and one build for all.
# A job that runs or finished already, or whose start lock another command holds, is left out; the
# others point their pid at the batch, so that each reads as running until the batch writes its
# status. Prints "joined JOB" for each job in the batch, then waits up to $wait s for $job (the
# caller's own) and reads it ("started" first when it joined).
# shellcheck disable=SC2154 # variables and functions come from HostScripts and lib.sh
tab=$(printf '\t')
mkdir -p "${batch%/*}"
mkdir "$batch" || exit 1
: > "$batch/members"
# shellcheck disable=SC2034 # d is the folder vm_folder makes
# the last line may come without its newline
while IFS=$tab read -r member d target inst || [ -n "$member" ]; do
  vm_folder || continue
  mkdir -p "$member"
  exec 8> "$member/start.lock"
  if flock -n 8 && [ ! -e "$member/status" ] && ! job_alive "$member"; then
    rm -f "$member/log" "$member/out.json" "$member/info.json" "$member/root"
    echo $$ > "$member/pid.tmp" && mv -f "$member/pid.tmp" "$member/pid"
    printf '%s\t%s\t%s\n' "$member" "$target" "$inst" >> "$batch/members"
  fi
  exec 8>&-
done
if [ -s "$batch/members" ]; then
  setsid sh -c "$build_batch" sh "$build_job" "$batch" "$flake" "$subs" "$keys" "$collected" \
    < /dev/null > /dev/null 2>&1 &
  pid=$!
  while IFS=$tab read -r member target inst; do
    echo $pid > "$member/pid.tmp" && mv -f "$member/pid.tmp" "$member/pid"
    echo "joined $member"
  done < "$batch/members"
  if grep -q "^$job$tab" "$batch/members"; then echo started; fi
else
  rm -f "$batch/members"
  rmdir "$batch"
fi
wait_for_job
read_job
