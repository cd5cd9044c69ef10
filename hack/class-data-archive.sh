#!/bin/sh
# Writes a class data archive (CDS) of the classes a Java program loads as it starts, so that
# later starts map them from the archive instead of loading them from jars:
#   hack/class-data-archive.sh ARCHIVE SECONDS COMMAND [ARGUMENT...]
# It runs COMMAND (java, or a launcher that runs java) with JAVA_TOOL_OPTIONS asking the JVM for
# ARCHIVE, against a Kubernetes API server that is not there (loopback port 1: nothing leaves the
# machine); ends it after SECONDS unless it has ended by itself; the JVM writes ARCHIVE as it
# exits. Start the program later with -XX:SharedArchiveFile=ARCHIVE, the same java, the same flags
# and the same jars at the same paths: a JVM ignores, without a word, an archive that does not
# fit. Used by the Dockerfile (the operator) and hack/install-kubectl-microvm.sh (the kubectl
# plugin); the benchmark measures what it saves.
set -eu
if [ $# -lt 3 ]; then
  echo "usage: $0 ARCHIVE SECONDS COMMAND [ARGUMENT...]" >&2
  exit 2
fi
archive=$1
seconds=$2
shift 2
case "$archive" in
  *[[:space:]]*)
    echo "error: the archive's path has a space, which JAVA_TOOL_OPTIONS cannot carry: $archive" >&2
    exit 2
    ;;
esac
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cat > "$tmp/kubeconfig" <<'KUBECONFIG'
apiVersion: v1
kind: Config
clusters: [{name: none, cluster: {server: "https://127.0.0.1:1"}}]
users: [{name: none, user: {token: none}}]
contexts: [{name: none, context: {cluster: none, user: none}}]
current-context: none
KUBECONFIG
rm -f "$archive"
# HEALTH_PORT=0 on 127.0.0.1: the operator's endpoints on a free loopback port, never the port of
# an operator that runs beside the training.
KUBECONFIG="$tmp/kubeconfig" HEALTH_PORT=0 HEALTH_ADDRESS=127.0.0.1 \
  JAVA_TOOL_OPTIONS="-XX:ArchiveClassesAtExit=$archive" "$@" > "$tmp/output" 2>&1 &
pid=$!
waited=0
while kill -0 "$pid" 2> /dev/null && [ "$waited" -lt "$seconds" ]; do
  sleep 1
  waited=$((waited + 1))
done
kill -TERM "$pid" 2> /dev/null || true
wait "$pid" || true
if [ ! -s "$archive" ]; then
  echo "error: no class data archive at $archive; the training run printed:" >&2
  tail -n 20 "$tmp/output" >&2
  exit 1
fi
