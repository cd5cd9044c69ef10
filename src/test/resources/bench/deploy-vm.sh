#!/usr/bin/env bash
# The scripted way to deploy one MicroVM, written as plainly as a person writes it by hand: build
# the runner here, copy it to the host, then one SSH session makes the VM folder as `microvm -c`
# does (group kvm, group-writable: MicroVM.nix's units run as microvm:kvm), points `current` at
# the runner, writes the `flake` file and restarts the VM when its runner changed.
# usage: deploy-vm.sh HOST VM FLAKE   (HOST as named in the ssh config $SSH_CONFIG)
set -euo pipefail
host=$1 vm=$2 flake=$3

nix build -o "result-$vm" "$flake#nixosConfigurations.$vm.config.microvm.declaredRunner"
runner=$(readlink "result-$vm")
NIX_SSHOPTS="-F $SSH_CONFIG" nix copy --to "ssh://$host" "$runner"
ssh -n -F "$SSH_CONFIG" "$host" "
  set -e
  install -d -g kvm -m 0775 /var/lib/microvms/$vm && cd /var/lib/microvms/$vm
  old=\$(readlink current || true)
  nix build -o current $runner
  echo '$flake' > flake
  if [ \"\$old\" != $runner ]; then systemctl restart microvm@$vm; fi
"
echo "deployed $vm"
