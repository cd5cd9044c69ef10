package io.microvmoperator.reconcile.microvm.steps;

import io.microvmoperator.host.VmObservation;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.reconcile.context.MicroVMContext;
import java.util.Optional;

/** What differs between the VM on the host and what the spec and the rollout want. */
final class Drift {

  private Drift() {}

  /** What differs from {@code current} at {@code desired}, or empty when nothing does. */
  static Optional<String> of(MicroVMContext ctx, StorePath desired) {
    Optional<VmObservation> observed = ctx.findings().observed();
    if (observed.isEmpty()) {
      return Optional.of("not deployed");
    }
    VmObservation vm = observed.get();
    String flakeFile = ctx.valid().flakeFileContent();
    if (!vm.current().equals(desired.value())) {
      return Optional.of(
          "current is " + (vm.current().isEmpty() ? "missing" : vm.current()) + ", not " + desired);
    }
    if (!vm.flake().equals(flakeFile)) {
      return Optional.of(
          flakeFile.isEmpty() ? "a flake file is left over" : "flake file differs from spec.flake");
    }
    return unitDrift(ctx, vm, desired);
  }

  private static Optional<String> unitDrift(
      MicroVMContext ctx, VmObservation vm, StorePath desired) {
    boolean wantRunning = ctx.wantRunning();
    // A unit waiting to run its ended runner again is left to systemd (Restart=always): starting
    // it would zero the restart count that tells a crash loop (Rollbacks).
    // A unit being stopped is started again once it has stopped (the probe sees it change), not
    // now: a start would cancel the stop job of whoever runs systemctl stop, and fail their
    // command.
    if (wantRunning && !vm.active() && !vm.waitingToRunAgain() && !vm.stopping()) {
      return Optional.of("microvm@" + vm.name() + " is " + vm.activeState());
    }
    if (!wantRunning && vm.runsOrWillRun()) {
      return Optional.of("microvm@" + vm.name() + " runs but spec.running is false");
    }
    if (wantRunning && ctx.restartInConverge() && !vm.booted().equals(desired.value())) {
      return Optional.of("the VM runs " + vm.booted() + ", not " + desired);
    }
    return Optional.empty();
  }
}
