package io.microvmoperator.reconcile.host;

import static io.microvmoperator.reconcile.status.ConditionTypes.HOST_KEY_VERIFIED;
import static io.microvmoperator.reconcile.status.ConditionTypes.REACHABLE;
import static io.microvmoperator.reconcile.status.Conditions.FALSE;
import static io.microvmoperator.reconcile.status.Conditions.TRUE;
import static io.microvmoperator.reconcile.status.Conditions.UNKNOWN;

import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.javaoperatorsdk.operator.api.reconciler.Cleaner;
import io.javaoperatorsdk.operator.api.reconciler.Context;
import io.javaoperatorsdk.operator.api.reconciler.ControllerConfiguration;
import io.javaoperatorsdk.operator.api.reconciler.DeleteControl;
import io.javaoperatorsdk.operator.api.reconciler.Reconciler;
import io.javaoperatorsdk.operator.api.reconciler.UpdateControl;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMHostSpec;
import io.microvmoperator.api.MicroVMHostStatus;
import io.microvmoperator.api.MicroVMHostStatus.HostedVM;
import io.microvmoperator.host.AuthenticationRefusedException;
import io.microvmoperator.host.HostConnections;
import io.microvmoperator.host.HostKeyRejectedException;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.reconcile.failure.Failure;
import io.microvmoperator.reconcile.kube.Durations;
import io.microvmoperator.reconcile.kube.Events;
import io.microvmoperator.reconcile.kube.VmNames;
import io.microvmoperator.reconcile.status.Conditions;
import io.microvmoperator.reconcile.validation.SpecValidator;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Probes each host once per {@code probeInterval} (the drift check for every VM on it) and reports
 * reachability, the host key, the Nix version and every VM found there, like {@code microvm -l}.
 */
@ControllerConfiguration(name = "microvmhost")
public class MicroVMHostReconciler implements Reconciler<MicroVMHost>, Cleaner<MicroVMHost> {

  /**
   * How many probe intervals a host may stay unreachable before it is Stalled (kstatus Failed, Argo
   * CD Degraded) instead of Reconciling: a host that is down for that long needs a person.
   */
  public static final int UNREACHABLE_PROBES = 5;

  private static final MicroVMHostStatus EMPTY =
      new MicroVMHostStatus(null, null, null, null, null, null, null);

  private final HostProbes probes;
  private final HostConnections connections;
  private final HostEvents events;
  private final Clock clock;

  public MicroVMHostReconciler(
      HostProbes probes, HostConnections connections, Events events, Clock clock) {
    this.probes = probes;
    this.connections = connections;
    this.events = new HostEvents(events);
    this.clock = clock;
  }

  @Override
  public UpdateControl<MicroVMHost> reconcile(MicroVMHost host, Context<MicroVMHost> context) {
    MicroVMHostStatus prior = Optional.ofNullable(host.getStatus()).orElse(EMPTY);
    long generation = Optional.ofNullable(host.getMetadata().getGeneration()).orElse(0L);
    Conditions conditions = new Conditions(prior.conditions(), generation, clock.instant());
    if (Boolean.TRUE.equals(host.getSpec().suspend())) {
      probes.suspended(host.getMetadata().getName());
      conditions.suspended();
      return recorded(host, withConditions(prior, conditions), null);
    }
    if (prior.observedGeneration() == null) {
      // Tells kstatus and Argo CD "in progress" while the first probe (up to a connect timeout)
      // runs, instead of an object without status, which kstatus calls Current.
      conditions.reconciling("Probing", "probing the host for the first time");
      return finish(host, withConditions(prior, conditions), Duration.ofMillis(1));
    }
    ProbeResult result = probes.probe(host);
    MicroVMHostStatus status =
        result.reachable()
            ? reachable(host, prior, conditions, result)
            : unreachable(host, prior, conditions, result);
    return recorded(host, status, probeInterval(host));
  }

  private static Duration probeInterval(MicroVMHost host) {
    return Durations.parse(host.getSpec().probeInterval(), Duration.ofMinutes(1));
  }

  private MicroVMHostStatus reachable(
      MicroVMHost host, MicroVMHostStatus prior, Conditions conditions, ProbeResult result) {
    String fingerprint = result.probe().hostKey().fingerprint();
    conditions.set(REACHABLE, TRUE, "Probed", "the host answered its probe over SSH");
    conditions.set(
        HOST_KEY_VERIFIED, TRUE, "PinnedKeyPresented", "the host presented " + fingerprint);
    conditions.ready("Reachable", "the host is reachable and verified");
    return new MicroVMHostStatus(
        conditions.list(),
        conditions.generation(),
        fingerprint,
        trustedHostKey(host, prior, result),
        result.probe().nixVersion(),
        hostedVMs(host, result),
        prior.lastProbeTime());
  }

  /**
   * A problem a person must fix (key, Secret, login, spec) is Stalled at once; an unreachable host
   * is Reconciling for {@link #UNREACHABLE_PROBES} probe intervals, then Stalled while it stays
   * down (the probes go on, and the first one that reaches it makes it Ready again).
   */
  private MicroVMHostStatus unreachable(
      MicroVMHost host, MicroVMHostStatus prior, Conditions conditions, ProbeResult result) {
    String reason = result.problemReason();
    String message = result.problemMessage();
    boolean keyProblem = reason.equals(HostKeyRejectedException.REASON);
    boolean loginRefused = reason.equals(AuthenticationRefusedException.REASON);
    boolean down = reason.equals(Failure.HOST_UNREACHABLE);
    conditions.set(
        REACHABLE, keyProblem || loginRefused ? TRUE : down ? FALSE : UNKNOWN, reason, message);
    conditions.set(
        HOST_KEY_VERIFIED, keyProblem ? FALSE : loginRefused ? TRUE : UNKNOWN, reason, message);
    if (result.isTerminal()) {
      conditions.stalled(reason, message);
      return withConditions(prior, conditions);
    }
    Instant since = conditions.since(REACHABLE).orElse(conditions.now());
    Duration limit = probeInterval(host).multipliedBy(UNREACHABLE_PROBES);
    if (Duration.between(since, conditions.now()).compareTo(limit) >= 0) {
      conditions.stalled(
          reason,
          "unreachable since "
              + since
              + " ("
              + UNREACHABLE_PROBES
              + " probe intervals or more): "
              + message);
    } else {
      conditions.reconciling(reason, message);
    }
    return withConditions(prior, conditions);
  }

  /**
   * With TrustOnFirstUse and no pinned keys: the key seen on first contact, kept from then on (the
   * operator pins it for every later connection).
   */
  private static String trustedHostKey(
      MicroVMHost host, MicroVMHostStatus prior, ProbeResult result) {
    if (prior.trustedHostKey() != null) {
      return prior.trustedHostKey();
    }
    boolean unpinned = host.getSpec().hostKeys() == null || host.getSpec().hostKeys().isEmpty();
    return unpinned
            && host.getSpec().hostKeyPolicy() == MicroVMHostSpec.HostKeyPolicy.TrustOnFirstUse
        ? result.probe().hostKey().line()
        : null;
  }

  private List<HostedVM> hostedVMs(MicroVMHost host, ProbeResult result) {
    List<MicroVM> claims = probes.microVMsOn(host.getMetadata().getName());
    return result.probe().vms().values().stream()
        .sorted(Comparator.comparing(VmObservation::name))
        .map(
            vm ->
                new HostedVM(
                    vm.name(),
                    vm.current().isEmpty() ? null : vm.current(),
                    vm.booted().isEmpty() ? null : vm.booted(),
                    vm.active(),
                    vm.declaredByHost() ? true : null,
                    claims.stream()
                        .filter(claim -> VmNames.vmName(claim).equals(vm.name()))
                        .min(SpecValidator.OLDEST_FIRST)
                        .map(VmNames::key)
                        .orElse(null)))
        .toList();
  }

  private static MicroVMHostStatus withConditions(MicroVMHostStatus prior, Conditions conditions) {
    return new MicroVMHostStatus(
        conditions.list(),
        conditions.generation(),
        prior.hostKeyFingerprint(),
        prior.trustedHostKey(),
        prior.nixVersion(),
        prior.microvms(),
        prior.lastProbeTime());
  }

  /** Records Events for what changed, then {@link #finish}es. */
  private UpdateControl<MicroVMHost> recorded(
      MicroVMHost host, MicroVMHostStatus status, Duration next) {
    events.changed(host, Optional.ofNullable(host.getStatus()).orElse(EMPTY), status);
    return finish(host, status, next);
  }

  private UpdateControl<MicroVMHost> finish(
      MicroVMHost host, MicroVMHostStatus status, Duration next) {
    UpdateControl<MicroVMHost> control;
    if (Objects.equals(status, host.getStatus())) {
      control = UpdateControl.noUpdate();
    } else {
      MicroVMHost fresh = new MicroVMHost();
      fresh.setMetadata(new ObjectMetaBuilder().withName(host.getMetadata().getName()).build());
      fresh.setStatus(
          new MicroVMHostStatus(
              status.conditions(),
              status.observedGeneration(),
              status.hostKeyFingerprint(),
              status.trustedHostKey(),
              status.nixVersion(),
              status.microvms(),
              clock.instant().truncatedTo(ChronoUnit.SECONDS).toString()));
      control = UpdateControl.patchStatus(fresh);
    }
    return next == null ? control : control.rescheduleAfter(next);
  }

  @Override
  public DeleteControl cleanup(MicroVMHost host, Context<MicroVMHost> context) {
    probes.forget(host.getMetadata().getName());
    connections.remove(host.getMetadata().getName());
    return DeleteControl.defaultDelete();
  }
}
