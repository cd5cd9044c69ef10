package io.microvmoperator.reconcile.kube;

import io.microvmoperator.api.MicroVM;
import java.util.Optional;

/** The defaults for names a MicroVM may leave out. */
public final class VmNames {

  private VmNames() {}

  /** The VM's name on its host: {@code spec.vmName}, else {@code metadata.name}. */
  public static String vmName(MicroVM vm) {
    return Optional.ofNullable(vm.getSpec().vmName()).orElse(vm.getMetadata().getName());
  }

  /** The {@code nixosConfigurations} attribute: {@code spec.target}, else {@code metadata.name}. */
  public static String target(MicroVM vm) {
    return Optional.ofNullable(vm.getSpec().target()).orElse(vm.getMetadata().getName());
  }

  public static String key(MicroVM vm) {
    return vm.getMetadata().getNamespace() + "/" + vm.getMetadata().getName();
  }
}
