package io.microvmoperator.reconcile.microvm;

import io.microvmoperator.hydra.HydraClient;
import io.microvmoperator.reconcile.host.HostAccess;
import io.microvmoperator.reconcile.host.HostProbes;
import io.microvmoperator.reconcile.kube.Events;
import io.microvmoperator.reconcile.kube.VmNames;
import io.microvmoperator.reconcile.metrics.DomainMetrics;
import io.microvmoperator.reconcile.microvm.steps.Deploy;
import io.microvmoperator.reconcile.microvm.steps.GateUpdate;
import io.microvmoperator.reconcile.microvm.steps.ObserveHost;
import io.microvmoperator.reconcile.microvm.steps.RecordDeploy;
import io.microvmoperator.reconcile.microvm.steps.ResolveRunner;
import io.microvmoperator.reconcile.microvm.steps.ValidateSpec;
import io.microvmoperator.reconcile.microvm.steps.VerifyRunning;
import io.microvmoperator.reconcile.runner.RunnerBuilds;
import io.microvmoperator.reconcile.runner.SourceResolver;
import io.microvmoperator.reconcile.update.ManualRestartPolicy;
import io.microvmoperator.reconcile.update.PlanGate;
import io.microvmoperator.reconcile.update.RollbackPolicy;
import io.microvmoperator.reconcile.validation.Claims;
import java.time.Clock;
import java.util.List;

/** Wires the MicroVM reconciler: its steps, in order, and what they share. */
public final class MicroVMReconcilers {

  private MicroVMReconcilers() {}

  public static MicroVMReconciler create(
      HostProbes probes, HostAccess access, Events events, Clock clock, HydraClient hydra) {
    return create(probes, access, events, clock, hydra, DomainMetrics.NONE);
  }

  /**
   * {@code metrics} hears of builds and rollbacks here; deploys it hears of through {@code events}
   * (the app wraps them).
   */
  public static MicroVMReconciler create(
      HostProbes probes,
      HostAccess access,
      Events events,
      Clock clock,
      HydraClient hydra,
      DomainMetrics metrics) {
    SourceResolver sources = new SourceResolver(clock, hydra);
    RunnerBuilds builds = new RunnerBuilds(events, probes::trigger, metrics);
    Claims claims = new Claims(clock, probes::trigger);
    MicroVMSteps steps =
        new MicroVMSteps(
            new ValidateSpec(probes, claims, access.operatorNamespace()),
            List.of(
                new ObserveHost(probes),
                new ResolveRunner(sources, builds),
                new GateUpdate(
                    List.of(
                        new RollbackPolicy(events, clock, metrics),
                        new ManualRestartPolicy(),
                        new PlanGate(events, clock))),
                new Deploy(events, probes),
                new RecordDeploy(events),
                new VerifyRunning(clock)),
            access,
            probes,
            events);
    MicroVMCleanup cleanup =
        new MicroVMCleanup(
            probes,
            access,
            claims,
            events,
            vm -> {
              builds.forget(vm.getSpec().host(), VmNames.key(vm));
              sources.forget(VmNames.key(vm));
            });
    return new MicroVMReconciler(probes, steps, cleanup, clock);
  }
}
