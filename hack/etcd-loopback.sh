#!/bin/sh
# etcd as kube-api-test starts it, but listening on loopback only: kube-api-test passes
# --listen-client-urls http://0.0.0.0:PORT (every interface, no authentication, while etcd holds
# the deploy keys' Secrets); this rewrites that URL to 127.0.0.1 and runs Debian's etcd.
# hack/k8s-binaries.sh installs it as kube-api-test's etcd, with ETCD set to the real binary.
for arg in "$@"; do
  shift
  case "$arg" in
    http://0.0.0.0:*) arg="http://127.0.0.1:${arg#http://0.0.0.0:}" ;;
  esac
  set -- "$@" "$arg"
done
exec "${ETCD_BINARY:-/usr/bin/etcd}" "$@"
