# shellcheck shell=sh
# The detached body of a batch (start-batch.sh runs it with setsid); arguments: BUILD_JOB BATCH
# FLAKE SUBS KEYS COLLECTED, where BUILD_JOB is the text of build-job.sh. BATCH/members lists the
# jobs (JOB, target, installable; tab-separated). One evaluation of FLAKE gives every target's
# derivation and output, in the members' order; one nix-store --realise builds them all and roots
# each output in BATCH (root, root-2, root-3, ...: nix-store numbers its roots in the order of its
# arguments). Each job gets its result, out.json, the name of its root (JOB/root) and its status.
# When the evaluation or the build fails, every job is built on its own instead, with its own log:
# one bad VM must not fail the others. The batch's folder goes when no root is left in it.
b=$2
tab=$(printf '\t')
names=$(while IFS=$tab read -r job target inst; do printf '"%s" ' "$target"; done < "$b/members")
# shellcheck disable=SC2016 # a Nix expression: ${n} is Nix's
apply='cs: map (n: let r = cs.${n}.config.microvm.declaredRunner; in [ r.drvPath r.outPath ])'
evaluated() {
  nix eval --json "$3#nixosConfigurations" --apply "$apply [ $names ]" \
    --option extra-substituters "$4" --option extra-trusted-public-keys "$5" \
    > "$b/map.json" 2> "$b/log" &&
    { tr -d '[]"' < "$b/map.json" | tr ',' '\n'; echo; } > "$b/paths"
}
built() {
  # shellcheck disable=SC2046 # store paths: one word each
  nix-store --realise --keep-going --add-root "$b/root" \
    --option extra-substituters "$4" --option extra-trusted-public-keys "$5" \
    $(while read -r drv && read -r out; do echo "$drv"; done < "$b/paths") > /dev/null 2>> "$b/log"
}
if evaluated "$@" && built "$@"; then
  i=0
  count=$(grep -c . "$b/members")
  while IFS=$tab read -r job target inst <&3 && read -r drv <&4 && read -r out <&4; do
    i=$((i + 1))
    root=root
    [ $i = 1 ] || root=root-$i
    ln -sfn "$out" "$job/result"
    printf '%s\n' "${b##*/}/$root" > "$job/root"
    printf '[{"drvPath":"%s","outputs":{"out":"%s"}}]\n' "$drv" "$out" > "$job/out.json"
    printf 'built with %s other runners in %s\n' "$((count - 1))" "${b##*/}" > "$job/log"
    echo 0 > "$job/status.tmp" && mv "$job/status.tmp" "$job/status"
  done 3< "$b/members" 4< "$b/paths"
else
  while IFS=$tab read -r job target inst; do
    sh -c "$1" sh "$job" "$inst" "$4" "$5" "$6"
  done < "$b/members"
fi
set -- "$b"/root*
[ -e "$1" ] || [ -L "$1" ] || rm -rf "$b"
