package io.microvmoperator.reconcile.microvm.steps;

import static io.microvmoperator.reconcile.fakes.Contexts.NOW;
import static io.microvmoperator.reconcile.fakes.Contexts.V1;
import static io.microvmoperator.reconcile.fakes.Contexts.context;
import static io.microvmoperator.reconcile.fakes.Contexts.host;
import static io.microvmoperator.reconcile.fakes.Contexts.vm;
import static org.assertj.core.api.Assertions.assertThat;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.host.BuildJob;
import io.microvmoperator.hydra.HydraClient;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.Retries;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.fakes.FakeHost;
import io.microvmoperator.reconcile.fakes.RecordingEvents;
import io.microvmoperator.reconcile.runner.RunnerBuilds;
import io.microvmoperator.reconcile.runner.SourceResolver;
import io.microvmoperator.reconcile.status.MicroVMStatusBuilder;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import java.time.Clock;
import java.time.Duration;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ResolveRunnerTest {

  private static final String PINNED = "github:o/r/0123456789abcdef0123456789abcdef01234567";

  private final RecordingEvents events = new RecordingEvents();
  private final FakeHost host = new FakeHost();
  private final RunnerBuilds builds = new RunnerBuilds(events, vm -> {});
  private final ResolveRunner step =
      new ResolveRunner(
          new SourceResolver(
              Clock.fixed(NOW, ZoneOffset.UTC), new HydraClient(Duration.ofSeconds(1))),
          builds);

  @Test
  void aFinishedBuildIsTheDesiredRunner() throws Exception {
    host.build = new BuildJob(BuildJob.State.SUCCEEDED, V1.value(), "", List.of());
    MicroVMContext ctx = ctx(vm(spec(), null));

    assertThat(step.run(ctx)).isInstanceOf(StepResult.Proceed.class);
    assertThat(ctx.findings().desired().runner()).isEqualTo(V1);
    assertThat(ctx.findings().desired().reused()).isFalse();
    assertThat(ctx.status().build().desiredStorePath()).isEqualTo(V1.value());
    assertThat(host.calls).containsExactly("startBuild");
    assertThat(events.reasons()).containsExactly("BuildSucceeded");
  }

  @Test
  void aBuildThatGoesOnIsLookedAtAgainSoon() throws Exception {
    host.build = new BuildJob(BuildJob.State.RUNNING, null, "", List.of());
    MicroVMContext ctx = ctx(vm(spec(), null));

    assertThat(step.run(ctx)).isEqualTo(StepResult.requeueAfter(Retries.BUILD_POLL));
    assertThat(ctx.status().build().phase()).hasToString("Building");
    assertThat(ctx.findings().desired()).isNull();
  }

  @Test
  void aFailedBuildStallsAndIsTriedAgainAtTheInterval() throws Exception {
    host.build = new BuildJob(BuildJob.State.FAILED, null, "error: attribute missing", List.of());
    MicroVMContext ctx = ctx(vm(spec(), null));

    StepResult result = step.run(ctx);
    assertThat(result).isInstanceOf(StepResult.Stalled.class);
    assertThat(((StepResult.Stalled) result).problem().message())
        .contains("error: attribute missing");
    assertThat(result.nextLook()).isEqualTo(ctx.interval());
  }

  @Test
  void theRunnerOfTheSameLockedFlakeIsTakenFromTheStatusWithNoCommand() throws Exception {
    MicroVM built = vm(spec(), null);
    MicroVMStatusBuilder before = new MicroVMStatusBuilder(built, NOW);
    before.resolved(PINNED, true);
    before.desired(V1);
    before.source(
        new MicroVMStatus.RunnerSource(MicroVMStatus.SourceType.Flake, PINNED, null, null, null));
    MicroVMContext ctx = ctx(vm(spec(), before.build()));

    assertThat(step.run(ctx)).isInstanceOf(StepResult.Proceed.class);
    assertThat(ctx.findings().desired().reused()).isTrue();
    assertThat(ctx.findings().desired().runner()).isEqualTo(V1);
    assertThat(host.calls).isEmpty();
  }

  @Test
  void aBuildSlotIsHeldOnlyWhileItsVmIsBuilding() throws Exception {
    MicroVMHost oneBuild = host("h1", Map.of("maxConcurrentBuilds", 1));
    host.build = new BuildJob(BuildJob.State.RUNNING, null, "", List.of());
    MicroVM web = vm(spec(), null);
    step.run(context(web, oneBuild, host));
    builds.settle(web, MicroVMStatus.Phase.Building);

    host.build = BuildJob.missing();
    MicroVM db = vm(spec(), null);
    db.getMetadata().setName("db");
    MicroVMContext waiting = context(db, oneBuild, host);
    assertThat(step.run(waiting)).isEqualTo(StepResult.requeueAfter(RunnerBuilds.SLOT_RETRY));
    assertThat(waiting.status().build().conditionsOrEmpty())
        .anySatisfy(c -> assertThat(c.getReason()).isEqualTo("WaitingForBuildSlot"));

    // web's reconcile ended otherwise (suspended here): its slot is db's now
    builds.settle(web, MicroVMStatus.Phase.Suspended);
    MicroVMContext building = context(db, oneBuild, host);
    step.run(building);
    assertThat(building.status().build().conditionsOrEmpty())
        .noneSatisfy(c -> assertThat(c.getReason()).isEqualTo("WaitingForBuildSlot"));
  }

  private static io.microvmoperator.api.MicroVMSpec spec() {
    return MicroVMSpecBuilder.flake("h1", PINNED, "web").build();
  }

  private MicroVMContext ctx(MicroVM vm) {
    return context(vm, host("h1", Map.of()), host);
  }
}
