package io.microvmoperator.reconcile.microvm.steps;

import static io.microvmoperator.reconcile.fakes.Contexts.V1;
import static io.microvmoperator.reconcile.fakes.Contexts.V2;
import static io.microvmoperator.reconcile.fakes.Contexts.context;
import static io.microvmoperator.reconcile.fakes.Contexts.found;
import static io.microvmoperator.reconcile.fakes.Contexts.host;
import static io.microvmoperator.reconcile.fakes.Contexts.seen;
import static io.microvmoperator.reconcile.fakes.Contexts.vm;
import static org.assertj.core.api.Assertions.assertThat;

import io.microvmoperator.host.VmObservation;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.Retries;
import io.microvmoperator.reconcile.context.Rollout;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.fakes.FakeHost;
import io.microvmoperator.reconcile.fakes.RecordingEvents;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RecordDeployTest {

  private final RecordingEvents events = new RecordingEvents();
  private final RecordDeploy step = new RecordDeploy(events);

  @Test
  void aDeployIsRecordedOnceCurrentIsSeenAtTheRunner() {
    MicroVMContext ctx =
        ctx(Rollout.of(V2), Optional.of(seen(V2, "github:o/r", "active", "running")));

    assertThat(step.run(ctx)).isInstanceOf(StepResult.Proceed.class);
    assertThat(ctx.status().build().history().get(0).storePath()).isEqualTo(V2.value());
    assertThat(events.reasons()).containsExactly("Deployed");
  }

  @Test
  void currentChangedDuringTheDeployIsDeployedAgainSoon() {
    MicroVMContext ctx =
        ctx(Rollout.of(V2), Optional.of(seen(V1, "github:o/r", "active", "running")));

    assertThat(step.run(ctx)).isEqualTo(StepResult.requeueAfter(Retries.BUILD_POLL));
    assertThat(events.reasons()).containsExactly("DriftCorrected");
    assertThat(ctx.status().build().history()).isNull();
  }

  @Test
  void aVmNotSeenYetIsWaitedFor() {
    MicroVMContext ctx = ctx(Rollout.of(V2), Optional.<VmObservation>empty());

    assertThat(step.run(ctx)).isEqualTo(StepResult.requeueAfter(Retries.BUILD_POLL));
    assertThat(ctx.status().build().phase()).hasToString("Deploying");
  }

  private static MicroVMContext ctx(Rollout rollout, Optional<VmObservation> observed) {
    MicroVMContext ctx =
        context(
            vm(MicroVMSpecBuilder.flake("h1", "github:o/r", "web").build(), null),
            host("h1", Map.of()),
            new FakeHost());
    found(ctx, observed, rollout);
    return ctx;
  }
}
