package io.microvmoperator.cli;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHostStatus.HostedVM;
import io.microvmoperator.api.MicroVMStatus;

/**
 * What a host shows for one VM: its {@code booted} and {@code current} links and whether its unit
 * is active. From the host's probe ({@code status.microvms} of the MicroVMHost), or, when the
 * MicroVMHosts cannot be read, from the MicroVM's own status.
 */
record HostFacts(String booted, String current, Boolean active) {

  static HostFacts of(HostedVM seen) {
    return new HostFacts(seen.booted(), seen.current(), seen.active());
  }

  static HostFacts of(MicroVM vm) {
    MicroVMStatus status = vm.getStatus();
    if (status == null) {
      return new HostFacts(null, null, null);
    }
    Boolean active =
        Conditions.find(status.conditions(), "Running")
            .map(c -> "True".equals(c.getStatus()))
            .orElse(null);
    return new HostFacts(status.bootedStorePath(), status.currentStorePath(), active);
  }
}
