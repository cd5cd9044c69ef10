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

# A class data archive of what a run loads, which the launcher uses when present: one run of the
# plugin against an API server that is not there loads the client's classes.
hack/class-data-archive.sh "$dest/kubectl-microvm.jsa" 60 "$dest/kubectl-microvm" list -A
echo "installed $prefix/bin/kubectl-microvm; try: kubectl microvm list -A"
