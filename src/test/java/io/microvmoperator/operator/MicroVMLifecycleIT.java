package io.microvmoperator.operator;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.testenv.ExecResult;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The user's story on a real host: a MicroVM becomes Ready, a re-apply changes nothing, a new
 * revision is built and restarted once, a broken flake stalls without touching the running VM, a
 * stopped-on-purpose VM is Ready, and deleting removes it.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class MicroVMLifecycleIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(1);

  private static final String NS = "lifecycle";
  private static final String HOST = "lifecycle-host";
  private static TestFlake flake;
  private static TestHost host;

  @BeforeAll
  static void registerHost() {
    env.ensureNamespace(NS);
    host = env.host(0);
    env.registerHost(HOST, host, List.of(NS));
    flake =
        TestFlake.create(env.hosts().root().resolve("flake"))
            .runner("web", "v1")
            .evalError("broken", "deliberate evaluation error for the test")
            .buildFailure("failing", "deliberate build failure for the test");
  }

  @Test
  @Order(1)
  void aNewMicroVMBecomesReadyWithOneStart() {
    env.apply(microVM(NS, "web", HOST, flake.pathRef(), "web"));

    ExecResult wait =
        env.kubectl("wait", "--for=condition=Ready", "microvm/web", "-n", NS, "--timeout=90s");
    assertThat(wait.exitCode()).as(wait.stderr()).isZero();
    assertThat(wait.stdout()).contains("condition met");
    MicroVM vm = env.awaitCondition(NS, "web", "Ready", "True");

    MicroVMStatus status = vm.getStatus();
    assertThat(status.phase()).isEqualTo(MicroVMStatus.Phase.Running);
    assertThat(status.currentStorePath()).endsWith("-microvm-web-v1");
    assertThat(host.readlink("/var/lib/microvms/web/current")).contains(status.currentStorePath());
    assertThat(host.readlink("/var/lib/microvms/web/booted")).contains(status.currentStorePath());
    assertThat(host.realPath("/var/lib/microvms/web/flake")).hasContent(flake.pathRef());
    assertThat(host.shell("stat -c '%U:%G %a' /var/lib/microvms/web").stdout().strip())
        .as("as microvm -c leaves it: MicroVM.nix's units (microvm:kvm) write booted there")
        .isEqualTo("root:kvm 775");
    assertThat(host.logs().starts("web")).isEqualTo(1);
    assertThat(host.shell("microvm-list").stdout())
        .as("MicroVM.nix's microvm -l (its stand-in) lists the VM as current")
        .contains("web: current(nixos-system-web-v1)");
    assertThat(status.history()).hasSize(1);
    assertThat(env.condition(vm, "UpToDate").orElseThrow().getStatus()).isEqualTo("True");
    assertThat(env.condition(vm, "Reconciling")).isEmpty();

    MicroVMHost registered =
        await()
            .atMost(Duration.ofSeconds(30))
            .until(
                () -> env.client().resources(MicroVMHost.class).withName(HOST).get(),
                h ->
                    h.getStatus() != null
                        && h.getStatus().microvms() != null
                        && h.getStatus().microvms().stream()
                            .anyMatch(
                                v -> "web".equals(v.name()) && Boolean.TRUE.equals(v.active())));
    assertThat(registered.getStatus().microvms())
        .singleElement()
        .satisfies(
            hosted -> {
              assertThat(hosted.name()).isEqualTo("web");
              assertThat(hosted.managedBy()).isEqualTo(NS + "/web");
              assertThat(hosted.active()).isTrue();
              assertThat(hosted.current()).isEqualTo(status.currentStorePath());
            });
    assertThat(registered.getStatus().nixVersion()).isEqualTo("2.8.0");
    assertThat(registered.getStatus().hostKeyFingerprint()).startsWith("SHA256:");
  }

  @Test
  @Order(2)
  void reapplyingTheSameSpecRestartsAndBuildsNothing() {
    host.logs().resetLogs();
    env.apply(microVM(NS, "web", HOST, flake.pathRef(), "web"));
    env.annotate(NS, "web", "microvm-operator.io/reconcile-requested-at", "reapply-1");

    env.awaitMicroVM(
        NS,
        "web",
        Duration.ofSeconds(60),
        vm -> "reapply-1".equals(vm.getStatus().lastHandledReconcileAt()));

    assertThat(host.logs().starts("web")).isZero();
    assertThat(host.logs().auditLog()).noneMatch(cmd -> cmd.contains("nix build"));
  }

  @Test
  @Order(3)
  void aNewRevisionIsBuiltOnceAndRestartedOnce() {
    host.logs().resetLogs();
    flake.runner("web", "v2");
    env.annotate(NS, "web", "microvm-operator.io/reconcile-requested-at", "new-revision");

    MicroVM vm =
        env.awaitMicroVM(
            NS,
            "web",
            Duration.ofSeconds(90),
            v ->
                v.getStatus().currentStorePath() != null
                    && v.getStatus().currentStorePath().endsWith("-microvm-web-v2")
                    && env.condition(v, "Ready")
                        .map(c -> c.getStatus().equals("True"))
                        .orElse(false));

    assertThat(host.logs().starts("web")).isEqualTo(1);
    assertThat(host.logs().auditLog().stream().filter(cmd -> cmd.contains("nix build")).count())
        .isEqualTo(1);
    assertThat(host.readlink("/var/lib/microvms/web/booted"))
        .contains(vm.getStatus().currentStorePath());
    assertThat(host.readlink("/var/lib/microvms/web/old"))
        .hasValueSatisfying(old -> assertThat(old).endsWith("-microvm-web-v1"));
    assertThat(vm.getStatus().history()).hasSize(2);
    String roots = host.shell("nix-store --gc --print-roots").stdout();
    assertThat(roots)
        .as("current and old stay GC roots")
        .contains("/var/lib/microvms/web/current -> " + vm.getStatus().currentStorePath())
        .contains(
            "/var/lib/microvms/web/old -> " + host.readlink("/var/lib/microvms/web/old").get());
  }

  @Test
  @Order(4)
  void anEvaluationErrorStallsAndLeavesTheRunningVMAlone() {
    String before = host.readlink("/var/lib/microvms/web/current").orElseThrow();
    host.logs().resetLogs();
    env.apply(microVM(NS, "web", HOST, flake.pathRef(), "broken"));

    MicroVM vm = env.awaitCondition(NS, "web", "Stalled", "True");

    assertThat(env.condition(vm, "Stalled").orElseThrow().getReason())
        .isEqualTo("EvaluationFailed");
    assertThat(env.condition(vm, "Stalled").orElseThrow().getMessage())
        .contains("deliberate evaluation error for the test");
    assertThat(env.condition(vm, "Ready").orElseThrow().getStatus()).isEqualTo("False");
    assertThat(host.readlink("/var/lib/microvms/web/current")).contains(before);
    assertThat(host.logs().starts("web")).isZero();
    assertThat(
            env.metric(
                "microvm_operator_build_failures_total{kind=\"build\",reason=\"EvaluationFailed\"}"))
        .as("the failed evaluation, counted once")
        .isEqualTo(1.0);
  }

  @Test
  @Order(5)
  void aBuildFailureStallsWithNixsErrorAndLeavesTheRunningVMAlone() {
    String before = host.readlink("/var/lib/microvms/web/booted").orElseThrow();
    host.logs().resetLogs();
    env.apply(microVM(NS, "web", HOST, flake.pathRef(), "failing"));

    MicroVM vm = env.awaitReason(NS, "web", "Stalled", "BuildFailed", Duration.ofSeconds(90));

    assertThat(env.condition(vm, "Stalled").orElseThrow().getMessage())
        .contains("deliberate build failure for the test");
    assertThat(env.condition(vm, "UpToDate").orElseThrow().getStatus()).isEqualTo("False");
    assertThat(host.readlink("/var/lib/microvms/web/booted")).contains(before);
    assertThat(host.readlink("/var/lib/microvms/web/current")).contains(before);
    assertThat(host.logs().starts("web")).isZero();
    assertThat(
            env.metric(
                "microvm_operator_build_failures_total{kind=\"build\",reason=\"BuildFailed\"}"))
        .isEqualTo(1.0);
    assertThat(
            env.metric(
                "microvm_operator_build_failures_total{kind=\"build\",reason=\"EvaluationFailed\"}"))
        .as("the stalled evaluation of the test before is not counted again")
        .isEqualTo(1.0);
    assertThat(
            env.metric(
                "microvm_operator_build_duration_seconds_count{kind=\"build\",result=\"failed\"}"))
        .isEqualTo(2.0);
    assertThat(
            env.metric(
                "microvm_operator_build_duration_seconds_count{kind=\"build\",result=\"succeeded\"}"))
        .isGreaterThanOrEqualTo(1.0);
    assertThat(env.metric("microvm_operator_deploys_total{reason=\"Deployed\"}"))
        .isGreaterThanOrEqualTo(2.0);
  }

  @Test
  @Order(6)
  void aVMStoppedOnPurposeIsReady() {
    MicroVM stopped = microVM(NS, "web", HOST, flake.pathRef(), "web");
    stopped.setSpec(MicroVMSpecBuilder.from(stopped.getSpec()).running(false).build());
    env.apply(stopped);

    MicroVM vm =
        env.awaitMicroVM(
            NS,
            "web",
            Duration.ofSeconds(90),
            v ->
                v.getStatus().phase() == MicroVMStatus.Phase.Stopped
                    && v.getStatus().observedGeneration().equals(v.getMetadata().getGeneration()));

    assertThat(env.condition(vm, "Ready").orElseThrow().getStatus()).isEqualTo("True");
    assertThat(host.readlink("/var/lib/microvms/web/booted")).isEmpty();
    assertThat(host.readlink("/var/lib/microvms/web/current")).isPresent();
  }

  @Test
  @Order(7)
  void deletingRemovesTheVMFromItsHost() {
    env.client().resources(MicroVM.class).inNamespace(NS).withName("web").delete();

    await().atMost(Duration.ofSeconds(60)).until(() -> env.get(NS, "web") == null);

    assertThat(host.realPath("/var/lib/microvms/web")).doesNotExist();
  }
}
