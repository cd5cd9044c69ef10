package io.microvmoperator.reconcile.microvm.steps;

import static io.microvmoperator.reconcile.fakes.Contexts.NOW;
import static io.microvmoperator.reconcile.fakes.Contexts.V1;
import static io.microvmoperator.reconcile.fakes.Contexts.V2;
import static io.microvmoperator.reconcile.fakes.Contexts.context;
import static io.microvmoperator.reconcile.fakes.Contexts.host;
import static io.microvmoperator.reconcile.fakes.Contexts.seen;
import static io.microvmoperator.reconcile.fakes.Contexts.vm;
import static org.assertj.core.api.Assertions.assertThat;

import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.reconcile.context.Findings;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.fakes.FakeHost;
import io.microvmoperator.reconcile.fakes.RecordingEvents;
import io.microvmoperator.reconcile.status.MicroVMStatusBuilder;
import io.microvmoperator.reconcile.update.ManualRestartPolicy;
import io.microvmoperator.reconcile.update.PlanGate;
import io.microvmoperator.reconcile.update.RollbackPolicy;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GateUpdateTest {

  private final RecordingEvents events = new RecordingEvents();
  private final FakeHost host = new FakeHost();
  private final Clock clock = Clock.fixed(NOW.plusSeconds(30), ZoneOffset.UTC);
  private final GateUpdate step =
      new GateUpdate(
          List.of(
              new RollbackPolicy(events, clock),
              new ManualRestartPolicy(),
              new PlanGate(events, clock)));

  @Test
  void aNewRunnerGoesIntoCurrentAndTheDriftIsNoted() throws Exception {
    MicroVMContext ctx = ctx(spec().build(), v1Deployed());
    ctx.findings().observed(Optional.of(seen(V1, "github:o/r", "active", "running")));
    ctx.findings().desired(new Findings.DesiredRunner(V2, false, null));

    assertThat(step.run(ctx)).isInstanceOf(StepResult.Proceed.class);
    assertThat(ctx.findings().rollout().current()).isEqualTo(V2);
    assertThat(ctx.findings().drift()).hasValueSatisfying(d -> assertThat(d).contains("not " + V2));
  }

  @Test
  void underUpdateStrategyPlanANewRunnerWaitsForApproval() throws Exception {
    MicroVMContext ctx =
        ctx(spec().updateStrategy(MicroVMSpec.UpdateStrategy.Plan).build(), v1Deployed());
    ctx.findings().observed(Optional.of(seen(V1, "github:o/r", "active", "running")));
    ctx.findings().desired(new Findings.DesiredRunner(V2, false, null));
    host.closureDiff = "hello: 2.10 → 2.12";

    assertThat(step.run(ctx)).isEqualTo(StepResult.requeueAfter(ctx.interval()));
    assertThat(ctx.status().build().plan().storePath()).isEqualTo(V2.value());
    assertThat(host.calls).containsExactly("diffClosures");
    assertThat(events.reasons()).containsExactly("PlanReady");
    assertThat(ctx.findings().rollout()).as("nothing goes on to the deploy").isNull();
  }

  @Test
  void aNewRunnerThatStoppedSoonAfterItsDeployIsRolledBack() throws Exception {
    MicroVMStatusBuilder history = new MicroVMStatusBuilder(vm(spec().build(), null), NOW);
    history.deployed(V1);
    history.deployed(V2);
    MicroVMContext ctx = ctx(spec().build(), history.build());
    ctx.findings().observed(Optional.of(seen(V2, "github:o/r", "failed", "failed")));
    ctx.findings().desired(new Findings.DesiredRunner(V2, true, null));

    assertThat(step.run(ctx)).isInstanceOf(StepResult.Proceed.class);
    assertThat(ctx.findings().rollout().runner()).isEqualTo(V1);
    assertThat(ctx.findings().rollout().holdingBack()).isTrue();
    assertThat(events.reasons()).containsExactly("RolledBack");
  }

  private static MicroVMSpecBuilder spec() {
    return MicroVMSpecBuilder.flake("h1", "github:o/r", "web");
  }

  private static MicroVMStatus v1Deployed() {
    return new MicroVMStatusBuilder(vm(spec().build(), null), NOW).deployed(V1).build();
  }

  private MicroVMContext ctx(MicroVMSpec spec, MicroVMStatus prior) {
    return context(vm(spec, prior), host("h1", Map.of()), host);
  }
}
