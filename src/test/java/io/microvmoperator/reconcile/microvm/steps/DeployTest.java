package io.microvmoperator.reconcile.microvm.steps;

import static io.microvmoperator.reconcile.fakes.Contexts.V1;
import static io.microvmoperator.reconcile.fakes.Contexts.V2;
import static io.microvmoperator.reconcile.fakes.Contexts.context;
import static io.microvmoperator.reconcile.fakes.Contexts.found;
import static io.microvmoperator.reconcile.fakes.Contexts.host;
import static io.microvmoperator.reconcile.fakes.Contexts.seen;
import static io.microvmoperator.reconcile.fakes.Contexts.vm;
import static org.assertj.core.api.Assertions.assertThat;

import io.microvmoperator.host.ConvergeRequest;
import io.microvmoperator.host.ConvergeResult;
import io.microvmoperator.host.RunnerGoneException;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.Retries;
import io.microvmoperator.reconcile.context.Rollout;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.fakes.FakeHost;
import io.microvmoperator.reconcile.fakes.FakeObservations;
import io.microvmoperator.reconcile.fakes.RecordingEvents;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class DeployTest {

  private static final String FLAKE = "github:o/r";

  private final RecordingEvents events = new RecordingEvents();
  private final FakeObservations hosts = new FakeObservations();
  private final FakeHost host = new FakeHost();
  private final Deploy step = new Deploy(events, hosts);

  @Test
  void aHostThatMatchesTheRolloutIsNotTouched() throws Exception {
    MicroVMContext ctx = ctx(Rollout.of(V1), seen(V1, FLAKE, "active", "running"));

    assertThat(step.run(ctx)).isInstanceOf(StepResult.Proceed.class);
    assertThat(host.calls).isEmpty();
    assertThat(events.recorded).isEmpty();
  }

  @Test
  void aUnitBeingStoppedIsNotStartedWhileItStops() throws Exception {
    MicroVMContext ctx = ctx(Rollout.of(V1), seen(V1, FLAKE, "deactivating", "stop-sigterm"));

    assertThat(ctx.findings().drift()).isEmpty();
    assertThat(step.run(ctx)).isInstanceOf(StepResult.Proceed.class);
    assertThat(host.calls).as("a start would cancel the stop job").isEmpty();

    ctx = ctx(Rollout.of(V1), seen(V1, FLAKE, "inactive", "dead"));
    assertThat(ctx.findings().drift()).hasValue("microvm@web is inactive");
  }

  @Test
  void driftIsConvergedInOneCommandAndTheResultRecorded() throws Exception {
    VmObservation after = seen(V2, FLAKE, "active", "running");
    host.convergeResult =
        new ConvergeResult(false, null, false, false, true, false, true, false, Optional.of(after));
    MicroVMContext ctx = ctx(Rollout.of(V2), seen(V1, FLAKE, "active", "running"));

    assertThat(step.run(ctx)).isInstanceOf(StepResult.Proceed.class);
    ConvergeRequest request = host.converges.get(0);
    assertThat(request.runner()).isEqualTo(V2);
    assertThat(request.flakeFileContent()).isEqualTo(FLAKE);
    assertThat(request.running()).isTrue();
    assertThat(request.forceRestart()).isFalse();
    assertThat(request.keep()).isNull();
    assertThat(events.reasons()).containsExactly("Deployed", "Restarted");
    assertThat(ctx.findings().observed()).contains(after);
    assertThat(hosts.calls).containsExactly("recordVm");
  }

  @Test
  void underManualRestartTheHeldRunnerIsKeptAndTheBootedOneStaysCurrent() throws Exception {
    host.convergeResult =
        new ConvergeResult(false, null, false, false, false, false, false, false, Optional.empty());
    MicroVMContext ctx = ctx(Rollout.of(V2).keeping(V1), seen(V1, "", "active", "running"));

    step.run(ctx);
    assertThat(host.converges.get(0).runner()).isEqualTo(V1);
    assertThat(host.converges.get(0).keep()).isEqualTo(V2);
  }

  @Test
  void aRunnerCollectedBeforeItsDeployIsForgottenAndTriedAgain() throws Exception {
    host.convergeFailure = new RunnerGoneException("deploying failed", "gone");
    MicroVMContext ctx = ctx(Rollout.of(V2), seen(V1, FLAKE, "active", "running"));

    assertThat(step.run(ctx)).isEqualTo(StepResult.requeueAfter(Retries.DEPLOY));
    assertThat(ctx.status().build().desiredStorePath()).isNull();
    assertThat(events.reasons()).containsExactly("DeployFailed");
  }

  @Test
  void whatTheHostRefusesStallsTheVm() throws Exception {
    host.convergeResult =
        new ConvergeResult(false, null, true, false, false, false, false, false, Optional.empty());
    StepResult notARunner = step.run(ctx(Rollout.of(V2), seen(V1, FLAKE, "active", "running")));
    assertThat(((StepResult.Stalled) notARunner).problem().reason()).isEqualTo("NotARunner");

    host.convergeResult =
        new ConvergeResult(
            false, "team-b/web uid-9", false, false, false, false, false, false, Optional.empty());
    StepResult owned = step.run(ctx(Rollout.of(V2), seen(V1, FLAKE, "active", "running")));
    assertThat(((StepResult.Stalled) owned).problem().reason()).isEqualTo("FolderNotEmpty");
  }

  private MicroVMContext ctx(Rollout rollout, VmObservation observed) {
    MicroVMContext ctx =
        context(
            vm(MicroVMSpecBuilder.flake("h1", FLAKE, "web").build(), null),
            host("h1", Map.of()),
            host);
    found(ctx, Optional.of(observed), rollout);
    ctx.findings().drift(Drift.of(ctx, rollout.current()));
    return ctx;
  }
}
