package io.microvmoperator.reconcile.microvm;

import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMSpec.DeletionPolicy;
import io.microvmoperator.host.HostOperations;
import io.microvmoperator.nix.InvalidValueException;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.Retries;
import io.microvmoperator.reconcile.failure.Failure;
import io.microvmoperator.reconcile.host.HostAccess;
import io.microvmoperator.reconcile.host.HostProbes;
import io.microvmoperator.reconcile.host.ProbeResult;
import io.microvmoperator.reconcile.kube.Events;
import io.microvmoperator.reconcile.status.MicroVMStatusBuilder;
import io.microvmoperator.reconcile.validation.Claims;
import io.microvmoperator.reconcile.validation.SpecValidator;
import io.microvmoperator.reconcile.validation.SpecValidator.ValidSpec;
import java.io.IOException;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.Consumer;

/**
 * What deleting a MicroVM does on its host, by {@code spec.deletionPolicy}: Delete stops the VM and
 * removes its folder, StopOnly stops it, Orphan leaves it. The host is acted on exactly when this
 * MicroVM owns the folder: the same claim rule as in reconcile, and on the host the folder's owner
 * marker (checked again by the script itself).
 */
final class MicroVMCleanup {

  /** The deletion's outcome: done, or waiting for the host with this status to write. */
  record Outcome(DeleteControl control, MicroVMStatusBuilder status) {}

  private final HostProbes probes;
  private final HostAccess access;
  private final Claims claims;
  private final Events events;
  private final Consumer<MicroVM> forget;

  /** {@code forget} drops what the reconcile remembers of a deleted VM (build slots, checks). */
  MicroVMCleanup(
      HostProbes probes,
      HostAccess access,
      Claims claims,
      Events events,
      Consumer<MicroVM> forget) {
    this.probes = probes;
    this.access = access;
    this.claims = claims;
    this.events = events;
    this.forget = forget;
  }

  Outcome delete(MicroVM vm, Optional<MicroVMHost> host, Instant now) {
    DeletionPolicy policy =
        Optional.ofNullable(vm.getSpec().deletionPolicy()).orElse(DeletionPolicy.Delete);
    forget.accept(vm);
    List<MicroVM> onHost = probes.microVMsOn(vm.getSpec().host());
    Optional<ValidSpec> valid = parse(vm);
    if (policy == DeletionPolicy.Orphan
        || valid.isEmpty()
        || host.isEmpty()
        || !ownsFolder(vm, host.get(), valid.get(), onHost)) {
      return released(vm, onHost);
    }
    try {
      HostOperations operations = access.open(host.get()).protocol();
      if (policy == DeletionPolicy.Delete) {
        operations.remove(valid.get().vmName(), MicroVMContext.ownerMarker(vm));
      } else {
        operations.stop(valid.get().vmName(), MicroVMContext.ownerMarker(vm));
      }
      probes.probe(host.get());
      return released(vm, onHost);
    } catch (IOException e) {
      access.invalidate(host.get());
      return waitsForHost(vm, policy, e, now);
    }
  }

  private boolean ownsFolder(MicroVM vm, MicroVMHost host, ValidSpec valid, List<MicroVM> onHost) {
    boolean placed =
        SpecValidator.checkPlacement(vm, host, access.operatorNamespace(), claims.counting(onHost))
            .isEmpty();
    boolean someoneElses =
        probes
            .latest(vm.getSpec().host())
            .filter(ProbeResult::reachable)
            .flatMap(p -> p.probe().vm(valid.vmName().value()))
            .map(seen -> seen.declaredByHost() || isForeign(seen.owner(), vm))
            .orElse(false);
    return placed && !someoneElses;
  }

  private Outcome waitsForHost(MicroVM vm, DeletionPolicy policy, IOException e, Instant now) {
    MicroVMStatusBuilder status = new MicroVMStatusBuilder(vm, now);
    String message =
        "deletion ("
            + policy
            + ") waits for host "
            + vm.getSpec().host()
            + ": "
            + Failure.messageOf(e)
            + "; set spec.deletionPolicy to Orphan to release the resource without it";
    status.hostUnreachable(message);
    events.warning(vm, "DeletionWaitsForHost", message);
    events.flush();
    return new Outcome(
        DeleteControl.noFinalizerRemoval().rescheduleAfter(Retries.UNREACHABLE), status);
  }

  /** Ends {@code vm}'s claim of its VM name: the claims waiting for it are reconciled now. */
  private Outcome released(MicroVM vm, List<MicroVM> onHost) {
    claims.release(vm, onHost);
    return new Outcome(DeleteControl.defaultDelete(), null);
  }

  private static Optional<ValidSpec> parse(MicroVM vm) {
    try {
      return Optional.of(SpecValidator.parse(vm));
    } catch (InvalidValueException e) {
      return Optional.empty();
    }
  }

  /** Whether a folder's owner marker names a MicroVM other than {@code vm}. */
  private static boolean isForeign(String marker, MicroVM vm) {
    return !marker.isEmpty() && !marker.equals(MicroVMContext.ownerMarker(vm));
  }
}
