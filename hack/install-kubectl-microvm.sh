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
cp target/kubectl-microvm target/microvm-operator-*.jar "$dest/"
cp target/lib/*.jar "$dest/lib/"
ln -sf "$dest/kubectl-microvm" "$prefix/bin/kubectl-microvm"
echo "installed $prefix/bin/kubectl-microvm; try: kubectl microvm list -A"
