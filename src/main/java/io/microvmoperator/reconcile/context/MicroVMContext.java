package io.microvmoperator.reconcile.context;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.host.Ownership;
import io.microvmoperator.reconcile.kube.Durations;
import io.microvmoperator.reconcile.status.MicroVMStatusBuilder;
import io.microvmoperator.reconcile.validation.Admitted;
import io.microvmoperator.reconcile.validation.RunnerOrigin;
import io.microvmoperator.reconcile.validation.SpecValidator.ValidSpec;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Everything one reconcile of a MicroVM works with, once its spec and placement are valid: the VM
 * and its host, the validated spec, the status being built (with the prior status), the host's
 * operations, the user's requests, the drift-check interval, and what the steps found so far.
 */
public record MicroVMContext(
    MicroVM vm,
    MicroVMHost host,
    ValidSpec valid,
    MicroVMStatusBuilder status,
    HostSession session,
    Requests requests,
    Duration interval,
    Findings findings) {

  /** The context of a new reconcile; the interval is the spec's, or the Hydra job's if shorter. */
  public static MicroVMContext of(
      MicroVM vm, Admitted admitted, MicroVMStatusBuilder status, HostSession session) {
    ValidSpec valid = admitted.valid();
    return new MicroVMContext(
        vm,
        admitted.host(),
        valid,
        status,
        session,
        Requests.of(vm, status.prior()),
        intervalOf(vm.getSpec(), valid),
        new Findings());
  }

  private static Duration intervalOf(MicroVMSpec spec, ValidSpec valid) {
    Duration interval = Durations.parse(spec.interval(), Duration.ofMinutes(5));
    if (valid.origin() instanceof RunnerOrigin.Hydra hydra
        && hydra.interval().compareTo(interval) < 0) {
      return hydra.interval();
    }
    return interval;
  }

  public MicroVMSpec spec() {
    return vm.getSpec();
  }

  public MicroVMStatus prior() {
    return status.prior();
  }

  public String hostName() {
    return host.getMetadata().getName();
  }

  public String vmName() {
    return valid.vmName().value();
  }

  /** Whether the spec changed since the status was last written. */
  public boolean specChanged() {
    long generation = Optional.ofNullable(vm.getMetadata().getGeneration()).orElse(0L);
    return !Objects.equals(prior().observedGeneration(), generation);
  }

  public boolean wantRunning() {
    return !Boolean.FALSE.equals(spec().running());
  }

  public boolean restartOnChange() {
    return spec().restartPolicy() != MicroVMSpec.RestartPolicy.Manual;
  }

  /**
   * Whether a running VM on a changed runner is switched live when possible ({@code update:
   * SwitchWhenPossible} with {@code restartPolicy: OnChange}): then the converge only swaps {@code
   * current}, and the SwitchLive step switches or restarts.
   */
  public boolean switchWhenPossible() {
    return restartOnChange() && spec().update() == MicroVMSpec.UpdateMode.SwitchWhenPossible;
  }

  /** Whether the converge itself restarts a VM whose booted runner is not the new one. */
  public boolean restartInConverge() {
    return restartOnChange() && !switchWhenPossible();
  }

  /** The owner marker this MicroVM writes into its VM folder on the host. */
  public String ownerMarker() {
    return ownerMarker(vm);
  }

  public static String ownerMarker(MicroVM vm) {
    return Ownership.marker(
        vm.getMetadata().getNamespace(), vm.getMetadata().getName(), vm.getMetadata().getUid());
  }
}
