package io.microvmoperator.operator;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMSpec.DeletionPolicy;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two tenants on one host claim the same vmName. The older claim owns the VM folder until its
 * deletion has finished; its deletion acts on the host (its policy decides how); the waiting claim
 * is reconciled at once and starts from a clean folder, and never adopts a folder another namespace
 * left behind.
 */
class TenancyIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(1);

  private static final String A = "tenant-a";
  private static final String B = "tenant-b";
  private static final String HOST = "shared-host";
  private static final Duration CONVERGED = Duration.ofSeconds(60);
  private static TestHost host;
  private static TestFlake flakeA;
  private static TestFlake flakeB;

  @BeforeAll
  static void setUp() {
    env.ensureNamespace(A);
    env.ensureNamespace(B);
    host = env.host(0);
    env.registerHost(HOST, host, List.of(A, B));
    flakeA = TestFlake.create(env.hosts().root().resolve("flake-a")).runner("app", "a1");
    flakeB = TestFlake.create(env.hosts().root().resolve("flake-b")).runner("app", "b1");
  }

  @Test
  void theOlderClaimsDeletionRemovesItsVmAndTheWaitingClaimStartsCleanAtOnce() {
    String runnerA = deploy(A, "web", DeletionPolicy.Delete);
    assertThat(host.realPath("/var/lib/microvms/web/.operator/owner").toFile())
        .content()
        .startsWith(A + "/web ");
    MicroVM intruder = claim(B, "intruder", "web");
    assertThat(env.condition(intruder, "Stalled").orElseThrow().getMessage()).contains(A + "/web");

    env.client().resources(MicroVM.class).inNamespace(A).withName("web").delete();

    // no annotation, no timer (interval 1h): the end of the first claim reconciles the second
    MicroVM taken = env.awaitRunner(B, "intruder", "-microvm-app-b1", CONVERGED);
    assertThat(env.get(A, "web")).isNull();
    assertThat(taken.getStatus().currentStorePath()).isNotEqualTo(runnerA);
    assertThat(host.readlink("/var/lib/microvms/web/old"))
        .as("a clean folder: nothing of tenant-a's is left in it")
        .isEmpty();
    assertThat(host.realPath("/var/lib/microvms/web/flake")).hasContent(flakeB.pathRef());
    assertThat(host.realPath("/var/lib/microvms/web/.operator/owner").toFile())
        .content()
        .startsWith(B + "/intruder ");
    assertThat(host.logs().vmOutput("web")).contains("microvm-run app b1 started");
  }

  @Test
  void aFolderAnotherNamespaceLeftBehindIsNeverTakenOver() {
    String runnerA = deploy(A, "keep", DeletionPolicy.Orphan);
    claim(B, "keeper", "keep");
    host.logs().resetLogs();

    env.client().resources(MicroVM.class).inNamespace(A).withName("keep").delete();

    MicroVM refused = env.awaitReason(B, "keeper", "Stalled", "FolderNotEmpty", CONVERGED);
    assertThat(env.condition(refused, "Stalled").orElseThrow().getMessage())
        .contains(A + "/keep")
        .contains("nothing was changed");
    assertThat(host.readlink("/var/lib/microvms/keep/current")).contains(runnerA);
    assertThat(host.ssh("systemctl is-active microvm@keep.service").stdout().strip())
        .isEqualTo("active");
    assertThat(host.logs().starts("keep")).isZero();
    assertThat(host.logs().auditLog()).noneMatch(command -> command.contains("nix build"));
  }

  private static String deploy(String namespace, String name, DeletionPolicy policy) {
    MicroVM vm = microVM(namespace, name, HOST, flakeA.pathRef(), "app");
    vm.setSpec(MicroVMSpecBuilder.from(vm.getSpec()).vmName(name).deletionPolicy(policy).build());
    env.apply(vm);
    return env.awaitRunner(namespace, name, "-microvm-app-a1", CONVERGED)
        .getStatus()
        .currentStorePath();
  }

  private static MicroVM claim(String namespace, String name, String vmName) {
    MicroVM vm = microVM(namespace, name, HOST, flakeB.pathRef(), "app");
    vm.setSpec(MicroVMSpecBuilder.from(vm.getSpec()).vmName(vmName).build());
    env.apply(vm);
    MicroVM stalled = env.awaitCondition(namespace, name, "Stalled", "True");
    assertThat(env.condition(stalled, "Stalled").orElseThrow().getReason())
        .isEqualTo("VmNameConflict");
    await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> true);
    return stalled;
  }
}
