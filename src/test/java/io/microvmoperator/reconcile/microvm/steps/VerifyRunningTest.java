package io.microvmoperator.reconcile.microvm.steps;

import static io.microvmoperator.reconcile.fakes.Contexts.NOW;
import static io.microvmoperator.reconcile.fakes.Contexts.V2;
import static io.microvmoperator.reconcile.fakes.Contexts.context;
import static io.microvmoperator.reconcile.fakes.Contexts.found;
import static io.microvmoperator.reconcile.fakes.Contexts.host;
import static io.microvmoperator.reconcile.fakes.Contexts.vm;
import static org.assertj.core.api.Assertions.assertThat;

import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.Retries;
import io.microvmoperator.reconcile.context.Rollout;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.fakes.FakeHost;
import io.microvmoperator.reconcile.status.MicroVMStatusBuilder;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import java.time.Clock;
import java.time.ZoneOffset;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class VerifyRunningTest {

  private final VerifyRunning step =
      new VerifyRunning(Clock.fixed(NOW.plusSeconds(30), ZoneOffset.UTC));

  @Test
  void aRunningVmIsDoneUntilTheNextDriftCheck() {
    MicroVMContext ctx = ctx(null, unit("active", "running", 0));
    assertThat(step.run(ctx)).isEqualTo(StepResult.done(ctx.interval()));
  }

  @Test
  void aUnitWaitingToRunItsRunnerAgainIsLeftToSystemdAndLookedAtAgain() {
    MicroVMContext ctx = ctx(null, unit("activating", "auto-restart", 0));
    assertThat(step.run(ctx)).isEqualTo(StepResult.requeueAfter(Retries.DEPLOY));
    ctx.findings().startFailed(true);
    assertThat(step.run(ctx)).isEqualTo(StepResult.requeueAfter(Retries.BUILD_POLL));
  }

  @Test
  void aUnitBeingStoppedIsLookedAtAgainOnceStopped() {
    MicroVMContext ctx = ctx(null, unit("deactivating", "stop-sigterm", 0));
    assertThat(step.run(ctx)).isEqualTo(StepResult.requeueAfter(Retries.BUILD_POLL));
    assertThat(ctx.status().build().conditions())
        .anySatisfy(c -> assertThat(c.getReason()).isEqualTo("Stopping"));
  }

  @Test
  void aFirstDeployThatDoesNotKeepRunningStalls() {
    MicroVMStatus onlyV2 = new MicroVMStatusBuilder(vm(spec(), null), NOW).deployed(V2).build();
    StepResult result = step.run(ctx(onlyV2, unit("activating", "auto-restart", 1)));
    assertThat(result).isInstanceOf(StepResult.Stalled.class);
    assertThat(((StepResult.Stalled) result).problem().reason()).isEqualTo("NotKeptRunning");
  }

  private static VmObservation unit(String state, String sub, long restarts) {
    return new VmObservation(
        "web",
        V2.value(),
        V2.value(),
        false,
        "github:o/r",
        state,
        sub,
        7,
        restarts,
        "success",
        false,
        "");
  }

  private static io.microvmoperator.api.MicroVMSpec spec() {
    return MicroVMSpecBuilder.flake("h1", "github:o/r", "web").build();
  }

  private static MicroVMContext ctx(MicroVMStatus prior, VmObservation observed) {
    MicroVMContext ctx = context(vm(spec(), prior), host("h1", Map.of()), new FakeHost());
    found(ctx, Optional.of(observed), Rollout.of(V2));
    return ctx;
  }
}
