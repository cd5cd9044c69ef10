package io.microvmoperator.reconcile.microvm.steps;

import io.microvmoperator.host.VmObservation;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.Retries;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.failure.Problem;
import io.microvmoperator.reconcile.host.HostObservations;
import io.microvmoperator.reconcile.host.ProbeResult;
import io.microvmoperator.reconcile.update.HostUpdates;
import io.microvmoperator.reconcile.validation.SpecValidator;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Looks at the VM on its host: the host's last probe, or a fresh one when there is none or the user
 * asked for a reconcile. A VM the host declares itself, or whose folder another namespace's MicroVM
 * owns, is not touched.
 */
public final class ObserveHost implements MicroVMStep {

  private final HostObservations hosts;

  /** The VMs whose unit the last reconcile saw stopping ("HOST/VM"). */
  private final Set<String> seenStopping = ConcurrentHashMap.newKeySet();

  public ObserveHost(HostObservations hosts) {
    this.hosts = hosts;
  }

  @Override
  public StepResult run(MicroVMContext ctx) {
    boolean requested = ctx.requests().newReconcile();
    if (requested) {
      ctx.status().handledReconcileRequest(ctx.requests().reconcile());
    }
    ProbeResult probe = requested ? hosts.probe(ctx.host()) : hosts.latestOrProbe(ctx.host());
    String vm = ctx.hostName() + "/" + ctx.vmName();
    if (!requested && stopping(probe, ctx.vmName()) && seenStopping.contains(vm)) {
      // Seen stopping at the reconcile before too (VerifyRunning looks again 2 s later): the
      // stop has most likely ended, so look afresh rather than wait for the host's next probe.
      probe = hosts.probe(ctx.host());
    }
    if (stopping(probe, ctx.vmName())) {
      seenStopping.add(vm);
    } else {
      seenStopping.remove(vm);
    }
    if (!probe.reachable()) {
      if (probe.isTerminal()) {
        ctx.status().hostProblem(probe.problemReason(), probe.problemMessage());
        return StepResult.stalled(new Problem(probe.problemReason(), probe.problemMessage()));
      }
      ctx.status().hostUnreachable(probe.problemMessage());
      return StepResult.requeueAfter(Retries.UNREACHABLE);
    }
    ctx.status().hostReachable();
    Optional<VmObservation> observed = probe.probe().vm(ctx.vmName());
    Optional<Problem> declared = SpecValidator.checkObservation(observed, ctx.hostName());
    if (declared.isPresent()) {
      return StepResult.stalled(declared.get());
    }
    SpecValidator.OwnershipCheck ownership =
        SpecValidator.checkOwner(
            observed, ctx.ownerMarker(), ctx.vm().getMetadata().getNamespace(), ctx.hostName());
    if (ownership.problem().isPresent()) {
      return StepResult.stalled(ownership.problem().get());
    }
    ctx.status().observed(observed);
    ctx.findings().observed(observed);
    ctx.findings().ownership(ownership.ownership());
    // current changed on the host by someone else (microvm -u, a script): before calling that
    // drift, look whether the source moved there too, so that an update that ends where the spec
    // wants is adopted rather than undone and done again.
    ctx.findings().changedOnHost(HostUpdates.changedCurrent(ctx.prior(), observed));
    return StepResult.proceed();
  }

  private static boolean stopping(ProbeResult probe, String vmName) {
    return probe.reachable() && probe.probe().vm(vmName).map(VmObservation::stopping).orElse(false);
  }
}
