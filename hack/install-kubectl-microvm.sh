#!/bin/sh
# Installs the kubectl plugin: hack/install-kubectl-microvm.sh [PREFIX]   (default /usr/local)
# Builds the jar if needed, copies it with its libraries and the launcher to
# PREFIX/lib/kubectl-microvm/ and links PREFIX/bin/kubectl-microvm to the launcher, so that
# `kubectl microvm ...` works with PREFIX/bin on PATH. Needs Java 17 at run time.
set -eu
prefix=${1:-/usr/local}
cd "$(dirname "$0")/.."
if [ ! -x target/kubectl-microvm ]; then
  mvn -B -q package -DskipTests
fi
dest="$prefix/lib/kubectl-microvm"
rm -rf "$dest"
mkdir -p "$dest/lib" "$prefix/bin"
dest=$(cd "$dest" && pwd -P) # the path the launcher sees, so that the class data archive fits
cp target/kubectl-microvm target/microvm-operator-*.jar "$dest/"
cp target/lib/*.jar "$dest/lib/"
ln -sf "$dest/kubectl-microvm" "$prefix/bin/kubectl-microvm"

# A class data archive of what a run loads (the launcher uses it when present): one run of the
# plugin against an API server that is not there (loopback port 1) loads the client's classes.
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
java=java
if [ -n "${JAVA_HOME:-}" ]; then
  java="$JAVA_HOME/bin/java"
fi
"$java" -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xss512k \
  -XX:ArchiveClassesAtExit="$dest/kubectl-microvm.jsa" -Xlog:disable \
  -Dlog4j2.loggerContextFactory=org.apache.logging.log4j.simple.SimpleLoggerContextFactory \
  -Dorg.apache.logging.log4j.simplelog.level=OFF \
  -cp "$(ls "$dest"/microvm-operator-*.jar):$dest/lib/*" io.microvmoperator.cli.KubectlMicrovm \
  list -A --kubeconfig "$tmp/kubeconfig" > /dev/null 2>&1 || true
echo "installed $prefix/bin/kubectl-microvm; try: kubectl microvm list -A"
