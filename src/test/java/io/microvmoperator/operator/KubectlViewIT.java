package io.microvmoperator.operator;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClientException;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.testenv.ExecResult;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.TestFlake;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * What a person sees with the real kubectl against the real API server: columns in reading order,
 * the reason of a VM that is not Ready, the microvm-operator category, kubectl explain, and the
 * conditions' schema enforced by the API server.
 */
class KubectlViewIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(1);

  private static final String NS = "kubectl-view";

  @BeforeAll
  static void aReadyAndAFailedVm() {
    env.ensureNamespace(NS);
    env.registerHost("view-host", env.host(0), List.of(NS));
    TestFlake flake =
        TestFlake.create(env.hosts().root().resolve("flake"))
            .runner("web", "v1")
            .buildFailure("broken", "deliberate build failure for the test");
    env.applyAndAwaitReady(microVM(NS, "web", "view-host", flake.pathRef(), "web"));
    env.apply(microVM(NS, "broken", "view-host", flake.pathRef(), "broken"));
    env.awaitCondition(NS, "broken", "Stalled", "True");
  }

  @Test
  void columnsReadLeftToRightAndAFailedVmSaysWhy() {
    List<String> lines = kubectl("get", "microvms", "-n", NS).stdout().lines().toList();
    assertThat(lines.get(0).split("\\s+"))
        .containsExactly("NAME", "HOST", "READY", "STATUS", "REASON", "AGE");
    assertThat(lines).anySatisfy(l -> assertThat(l).startsWith("broken").contains("BuildFailed"));
    assertThat(lines)
        .anySatisfy(l -> assertThat(l.split("\\s+")).startsWith("web", "view-host", "True"));

    String wide =
        kubectl("get", "microvms", "-n", NS, "-o", "wide")
            .stdout()
            .lines()
            .findFirst()
            .orElseThrow();
    assertThat(wide.split("\\s+"))
        .containsExactly(
            "NAME",
            "HOST",
            "READY",
            "STATUS",
            "REASON",
            "AGE",
            "UP-TO-DATE",
            "RESTART",
            "CURRENT",
            "DESIRED",
            "MESSAGE");

    assertThat(
            kubectl("get", "microvmhosts").stdout().lines().findFirst().orElseThrow().split("\\s+"))
        .containsExactly("NAME", "ADDRESS", "READY", "REASON", "AGE");
  }

  @Test
  void theCategoryListsBothKindsAndAllDoesNot() {
    String category = kubectl("get", "microvm-operator", "-A").stdout();
    assertThat(category)
        .contains("microvm.microvm-operator.io/web", "microvmhost.microvm-operator.io/view-host");
    assertThat(kubectl("get", "all", "-n", NS).stdout()).doesNotContain("microvm");
  }

  @Test
  void kubectlExplainDescribesTheKindsAndTheirParts() {
    assertThat(kubectl("explain", "microvm").stdout())
        .contains("One MicroVM.nix guest on one host");
    assertThat(kubectl("explain", "microvm.spec").stdout()).contains("What runs on the host");
    assertThat(kubectl("explain", "microvmhost").stdout())
        .contains("A NixOS host running MicroVM.nix");
    assertThat(kubectl("explain", "microvm.status.conditions.status").stdout())
        .contains("True, False or Unknown");
  }

  @Test
  void theApiServerRefusesConditionsThatAreNoConditions() {
    for (Map<String, Object> bad :
        List.of(
            Map.<String, Object>of(
                "type",
                "Ready",
                "status",
                "Maybe",
                "reason",
                "Guess",
                "message",
                "",
                "lastTransitionTime",
                "2026-12-06T12:00:00Z"),
            Map.<String, Object>of(
                "type",
                "Ready",
                "status",
                "True",
                "reason",
                "Guess",
                "message",
                "",
                "lastTransitionTime",
                "yesterday"),
            Map.<String, Object>of("type", "Ready", "status", "True"))) {
      String patch =
          io.fabric8.kubernetes.client.utils.Serialization.asJson(
              Map.of("status", Map.of("conditions", List.of(bad))));
      try {
        env.client()
            .resources(MicroVM.class)
            .inNamespace(NS)
            .withName("web")
            .subresource("status")
            .patch(
                io.fabric8.kubernetes.client.dsl.base.PatchContext.of(
                    io.fabric8.kubernetes.client.dsl.base.PatchType.JSON_MERGE),
                patch);
        throw new AssertionError("the API server accepted " + bad);
      } catch (KubernetesClientException e) {
        assertThat(e.getCode()).as(e.getMessage()).isEqualTo(422);
      }
    }
  }

  private static ExecResult kubectl(String... args) {
    ExecResult result = env.kubectl(args);
    assertThat(result.exitCode()).as(String.join(" ", args) + ": " + result.stderr()).isZero();
    return result;
  }
}
