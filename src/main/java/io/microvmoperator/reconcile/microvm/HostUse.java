package io.microvmoperator.reconcile.microvm;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.reconcile.context.HostSession;
import io.microvmoperator.reconcile.context.Retries;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.failure.Failure;
import io.microvmoperator.reconcile.host.HostAccess;
import io.microvmoperator.reconcile.host.HostObservations;
import io.microvmoperator.reconcile.host.ProbeResult;
import io.microvmoperator.reconcile.kube.Events;
import io.microvmoperator.reconcile.status.MicroVMStatusBuilder;
import java.io.IOException;

/**
 * A MicroVM's reconcile using its host: the session it opens on first use, and what happens when
 * the host fails while in use, classified as a probe classifies it ({@link Failure#ofHost}): a
 * problem a person must fix stalls the VM and becomes the host's latest probe result (so that the
 * host's next successful probe is a change, which reconciles this VM again); a host that does not
 * answer is tried again soon, over a new connection.
 */
final class HostUse {

  private final HostAccess access;
  private final HostObservations hosts;
  private final Events events;

  HostUse(HostAccess access, HostObservations hosts, Events events) {
    this.access = access;
    this.hosts = hosts;
    this.events = events;
  }

  /** The host's operations for one reconcile, opened on first use. */
  HostSession session(MicroVMHost host) {
    return new HostSession(() -> access.open(host).protocol());
  }

  StepResult failed(MicroVM vm, MicroVMHost host, MicroVMStatusBuilder status, IOException e) {
    access.invalidate(host);
    Failure failure = Failure.ofHost(vm.getSpec().host(), e);
    if (failure instanceof Failure.Stalled stalled) {
      hosts.record(
          host.getMetadata().getName(), ProbeResult.failed(failure.reason(), failure.message()));
      status.hostProblem(failure.reason(), failure.message());
      return StepResult.stalled(stalled.problem());
    }
    String message = Failure.messageOf(e);
    status.hostUnreachable(message);
    events.warning(vm, Failure.HOST_UNREACHABLE, message);
    return StepResult.requeueAfter(Retries.UNREACHABLE);
  }
}
