package io.microvmoperator.cli;

import io.microvmoperator.api.MicroVMHostStatus.HostedVM;
import java.util.Objects;

/**
 * The state of a VM that no MicroVM manages: {@code microvm -l}'s comparison of its links, without
 * a desired runner (only the host's own configuration or a person knows it).
 */
final class HostedVerdicts {

  private HostedVerdicts() {}

  static Verdict of(HostedVM vm, String hostNotReadyReason) {
    String hint =
        Boolean.TRUE.equals(vm.declaredByHost())
            ? "managed by the host's NixOS configuration"
            : "not managed: a MicroVM with vmName " + vm.name() + " would adopt it";
    if (hostNotReadyReason != null) {
      return new Verdict("unknown: host not Ready (" + hostNotReadyReason + ")", hint);
    }
    if (vm.current() == null) {
      return new Verdict("not booted: no current runner", hint);
    }
    if (!Boolean.TRUE.equals(vm.active())) {
      return new Verdict("not booted", hint);
    }
    if (vm.booted() != null && !Objects.equals(vm.booted(), vm.current())) {
      return new Verdict("stale: restart due", hint);
    }
    return new Verdict("current", hint);
  }
}
