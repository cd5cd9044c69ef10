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
import io.microvmoperator.reconcile.microvm.steps.SwitchLive;
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
import java.util.Optional;

/** Wires the MicroVM reconciler: its steps, in order, and what they share. */
public final class MicroVMReconcilers {

  private MicroVMReconcilers() {}

  /**
   * What the wiring takes besides the host plumbing: the clock, the Hydra client, the label
   * selector of this operator's shard (empty when it watches everything), and the domain metrics
   * that hear of builds and rollbacks (deploys they hear of through the Events).
   */
  public record Settings(
      Clock clock, HydraClient hydra, Optional<String> shard, DomainMetrics metrics) {}

  public static MicroVMReconciler create(
      HostProbes probes, HostAccess access, Events events, Settings settings) {
    Clock clock = settings.clock();
    SourceResolver sources = new SourceResolver(clock, settings.hydra());
    RunnerBuilds builds = new RunnerBuilds(events, probes::trigger, settings.metrics());
    Claims claims = new Claims(clock, probes::trigger);
    MicroVMSteps steps =
        new MicroVMSteps(
            new ValidateSpec(probes, claims, access.operatorNamespace(), settings.shard()),
            List.of(
                new ObserveHost(probes),
                new ResolveRunner(sources, builds),
                new GateUpdate(
                    List.of(
                        new RollbackPolicy(events, clock, settings.metrics()),
                        new ManualRestartPolicy(),
                        new PlanGate(events, clock))),
                new Deploy(events, probes),
                new SwitchLive(events, probes),
                new RecordDeploy(events),
                new VerifyRunning(clock)),
            new HostUse(access, probes, events),
            builds,
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
