package io.microvmoperator.host;

import java.util.HashMap;
import java.util.Map;
import java.util.Optional;

/** Everything one probe read from a host: its Nix version and every VM folder in its state dir. */
public record HostProbe(String nixVersion, PresentedKey hostKey, Map<String, VmObservation> vms) {

  public HostProbe {
    vms = Map.copyOf(vms);
  }

  public Optional<VmObservation> vm(String name) {
    return Optional.ofNullable(vms.get(name));
  }

  /** This probe with one VM as seen later (by a converge). */
  public HostProbe withVm(VmObservation vm) {
    Map<String, VmObservation> updated = new HashMap<>(vms);
    updated.put(vm.name(), vm);
    return new HostProbe(nixVersion, hostKey, updated);
  }
}
