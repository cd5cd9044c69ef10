package io.microvmoperator.operator;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMSpec.DeletionPolicy;
import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import io.microvmoperator.testenv.NixStoreCall;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * VMs that wait for a build slot on one host with runners from one flake are built together: one
 * evaluation and one nix-store --realise for all of them, on a real host. A bad VM among them fails
 * alone; an operator restarted during a batch waits for it instead of building again.
 */
class BatchedBuildsIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(1);

  private static final String NS = "batches";
  private static final String HOST = "batches-host";
  private static final Duration BUILD = Duration.ofSeconds(90);
  private static TestHost host;

  @BeforeAll
  static void setUp() {
    env.ensureNamespace(NS);
    host = env.host(0);
    env.registerHost(HOST, host, List.of(NS));
    env.limitBuilds(HOST, 1);
  }

  @AfterEach
  void deleteVms() {
    env.client().resources(MicroVM.class).inNamespace(NS).delete();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                env.client().resources(MicroVM.class).inNamespace(NS).list().getItems().isEmpty());
  }

  @Test
  void runnersWaitingForASlotAreBuiltByOneEvaluationAndOneBuild() {
    TestFlake flake = flake("together").slowBuild("first-tog", "v1", 5);
    for (String vm : List.of("tog-a", "tog-b", "tog-c")) {
      flake.runner(vm, "v1");
    }
    occupyTheSlot(flake, "first-tog");
    host.logs().resetLogs();
    List.of("tog-a", "tog-b", "tog-c").forEach(vm -> applyWaiting(flake, vm));

    for (String vm : List.of("tog-a", "tog-b", "tog-c")) {
      MicroVM ready = env.awaitCondition(NS, vm, "Ready", "True");
      assertThat(ready.getStatus().currentStorePath()).endsWith("-microvm-" + vm + "-v1");
      assertThat(reasons(vm)).contains("BuildStarted", "BuildSucceeded");
    }
    List<NixStoreCall> batches = batchBuilds();
    assertThat(batches).hasSize(1);
    assertThat(batches.get(0).args().stream().filter(arg -> arg.endsWith(".drv")))
        .as("the three runners' derivations, in one call; commands:\n" + commands())
        .hasSize(3)
        .allMatch(drv -> drv.matches(".*-microvm-tog-[abc]-v1\\.drv"));
    assertThat(host.logs().auditLog().stream().filter(cmd -> cmd.contains("build_batch=")))
        .as("one command started the batch")
        .hasSize(1);
    assertThat(host.shell("ls -d /var/lib/microvms/.operator/batch-*").stdout().strip())
        .as("the batch keeps the runners' GC roots while their builds are kept")
        .isNotEmpty();

    env.client().resources(MicroVM.class).inNamespace(NS).delete();
    await()
        .atMost(Duration.ofSeconds(60))
        .until(
            () ->
                env.client().resources(MicroVM.class).inNamespace(NS).list().getItems().isEmpty());
    assertThat(host.shell("ls -A /var/lib/microvms/.operator").stdout().strip())
        .as("the batch's folder goes with the last VM that used it")
        .isEmpty();
  }

  @Test
  void aVmWhoseEvaluationFailsFailsAloneAndTheOthersAreBuilt() {
    TestFlake flake =
        flake("bad")
            .slowBuild("first-bad", "v1", 5)
            .runner("bad-a", "v1")
            .evalError("bad-x", "this VM is broken on purpose")
            .runner("bad-b", "v1")
            .buildFailure("bad-y", "this build fails on purpose");
    occupyTheSlot(flake, "first-bad");
    List.of("bad-a", "bad-x", "bad-b", "bad-y").forEach(vm -> applyWaiting(flake, vm));

    for (String vm : List.of("bad-a", "bad-b")) {
      MicroVM ready = env.awaitCondition(NS, vm, "Ready", "True");
      assertThat(ready.getStatus().currentStorePath()).endsWith("-microvm-" + vm + "-v1");
      assertThat(reasons(vm)).doesNotContain("EvaluationFailed", "BuildFailed");
    }
    MicroVM evalFailed = env.awaitReason(NS, "bad-x", "Stalled", "EvaluationFailed", BUILD);
    assertThat(env.condition(evalFailed, "Stalled").orElseThrow().getMessage())
        .contains("this VM is broken on purpose")
        .doesNotContain("this build fails on purpose");
    MicroVM buildFailed = env.awaitReason(NS, "bad-y", "Stalled", "BuildFailed", BUILD);
    assertThat(env.condition(buildFailed, "Stalled").orElseThrow().getMessage())
        .contains("this build fails on purpose")
        .doesNotContain("broken on purpose");
  }

  @Test
  void anOperatorRestartedDuringABatchWaitsForItAndBuildsNothingAgain() {
    TestFlake flake =
        flake("restart")
            .slowBuild("first-rst", "v1", 4)
            .slowBuild("rst-a", "v1", 8)
            .slowBuild("rst-b", "v1", 8);
    occupyTheSlot(flake, "first-rst");
    host.logs().resetLogs();
    List.of("rst-a", "rst-b").forEach(vm -> applyWaiting(flake, vm));
    for (String vm : List.of("rst-a", "rst-b")) {
      env.awaitMicroVM(
          NS,
          vm,
          Duration.ofSeconds(60),
          v -> v.getStatus() != null && v.getStatus().phase() == Phase.Building);
    }

    env.stopOperator();
    await().pollDelay(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(4)).until(() -> true);
    env.startOperator();

    for (String vm : List.of("rst-a", "rst-b")) {
      MicroVM ready = env.awaitCondition(NS, vm, "Ready", "True");
      assertThat(ready.getStatus().currentStorePath()).endsWith("-microvm-" + vm + "-v1");
      assertThat(host.logs().starts(vm)).isEqualTo(1);
    }
    assertThat(batchBuilds()).hasSize(1);
    assertThat(
            host.logs().auditLog().stream()
                .filter(cmd -> cmd.contains("build_job=") && !cmd.contains("build_batch="))
                .filter(cmd -> cmd.contains("rst-")))
        .as("no build of rst-a or rst-b was started on its own")
        .isEmpty();
    for (String vm : List.of("rst-a", "rst-b")) {
      assertThat(host.shell("cat /var/lib/microvms/" + vm + "/.operator/build-*/log").stdout())
          .as("the runner of " + vm + " came from the batch")
          .startsWith("built with 1 other runners in batch-");
    }
  }

  /** Applies the flake's slow VM {@code first} and waits until it builds: the slot is taken. */
  private static void occupyTheSlot(TestFlake flake, String first) {
    env.apply(vm(flake, first));
    env.awaitMicroVM(
        NS,
        first,
        Duration.ofSeconds(60),
        v -> v.getStatus() != null && v.getStatus().phase() == Phase.Building);
  }

  private static void applyWaiting(TestFlake flake, String name) {
    env.apply(vm(flake, name));
    env.awaitReason(NS, name, "Reconciling", "WaitingForBuildSlot", Duration.ofSeconds(60));
  }

  private static MicroVM vm(TestFlake flake, String name) {
    MicroVM vm = microVM(NS, name, HOST, flake.pathRef(), name);
    vm.setSpec(MicroVMSpecBuilder.from(vm.getSpec()).deletionPolicy(DeletionPolicy.Delete).build());
    return vm;
  }

  private static List<NixStoreCall> batchBuilds() {
    return host.logs().nixStoreLog().stream()
        .filter(call -> call.args().contains("--realise"))
        .filter(call -> call.root().contains("/.operator/batch-"))
        .toList();
  }

  /** The commands the host ran, one line each: when, which job or batch, a batch or a build. */
  private static String commands() {
    StringBuilder out = new StringBuilder();
    host.logs()
        .auditEntries()
        .forEach(
            e ->
                out.append(e.time())
                    .append(' ')
                    .append(
                        e.command()
                            .lines()
                            .filter(l -> l.startsWith("job=") || l.startsWith("batch="))
                            .toList())
                    .append(e.command().contains("build_batch=") ? " BATCH" : "")
                    .append(e.command().contains("build_job=") ? " BUILD" : "")
                    .append('\n'));
    return out.toString();
  }

  private static List<String> reasons(String vm) {
    return env.eventsOf(NS, vm).stream().map(Event::getReason).toList();
  }

  private static TestFlake flake(String name) {
    return TestFlake.create(env.hosts().root().resolve("flake-" + name));
  }
}
