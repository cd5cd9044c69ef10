# shellcheck shell=sh
# The detached body of one build job (start-build.sh runs it with setsid, so that it outlives the
# command's process group); arguments: JOB INSTALLABLE SUBS KEYS COLLECTED. Builds with nix build
# (again, up to three times in all, while the log matches COLLECTED: a GC took the flake's source
# while Nix read it) and writes the job's out.json, info.json (the result's signatures), log and,
# last and atomically, status.
for try in 1 2 3; do
  nix build -L --json --out-link "$1/result" \
    --option extra-substituters "$3" --option extra-trusted-public-keys "$4" \
    "$2" > "$1/out.json" 2> "$1/log"
  code=$?
  if [ $code = 0 ] || [ $try = 3 ] || ! grep -qE "$5" "$1/log"; then break; fi
done
if [ "$code" = 0 ]; then nix path-info --json "$1/result" > "$1/info.json" 2>> "$1/log"; fi
echo "$code" > "$1/status.tmp" && mv "$1/status.tmp" "$1/status"
