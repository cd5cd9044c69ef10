package io.microvmoperator.gitops;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.microvmoperator.testenv.Commands;
import io.microvmoperator.testenv.ExecResult;
import io.microvmoperator.testenv.KubeControlPlane;
import io.microvmoperator.testenv.OperatorHarness;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Argo CD health checks against their fixtures, run by Lua 5.1 as Argo CD runs them; and the
 * documented way to put them into argocd-cm, against the real API server.
 */
class ArgoCdHealthChecksIT {

  @RegisterExtension static KubeControlPlane k8s = KubeControlPlane.shared();

  private static final List<String> KINDS = List.of("MicroVM", "MicroVMHost");

  @Test
  void everyFixtureGetsItsExpectedStatusAndMessage() throws IOException {
    List<Path> folders = KINDS.stream().map(ArgoCdHealth.CUSTOMIZATIONS::resolve).toList();
    int tests = 0;
    for (Path folder : folders) {
      tests += testsOf(folder).size();
    }

    ExecResult run = ArgoCdHealth.runTests(folders);

    assertThat(run.exitCode()).as(run.stdout() + run.stderr()).isZero();
    assertThat(run.stdout()).contains(tests + " passed, 0 failed");
  }

  @Test
  void theFixturesCoverEveryHealthAMicroVMCanHaveAndNoFixtureIsLeftOut() throws IOException {
    for (String kind : KINDS) {
      Path folder = ArgoCdHealth.CUSTOMIZATIONS.resolve(kind);
      List<Map<String, Object>> tests = testsOf(folder);
      Set<String> listed =
          tests.stream().map(t -> (String) t.get("inputPath")).collect(Collectors.toSet());
      try (Stream<Path> files = Files.list(folder.resolve("testdata"))) {
        assertThat(files.map(f -> "testdata/" + f.getFileName()))
            .as("fixtures of %s that health_test.yaml lists", kind)
            .containsExactlyInAnyOrderElementsOf(listed);
      }
      assertThat(tests.stream().map(ArgoCdHealthChecksIT::expectedStatus))
          .containsAll(List.of("Healthy", "Progressing", "Degraded", "Suspended"));
    }
  }

  @Test
  void aWrongExpectationFailsTheRun(@TempDir Path dir) throws IOException {
    Path kind = dir.resolve("MicroVM");
    Files.createDirectories(kind.resolve("testdata"));
    Path source = ArgoCdHealth.CUSTOMIZATIONS.resolve("MicroVM");
    Files.copy(source.resolve("health.lua"), kind.resolve("health.lua"));
    Files.copy(
        source.resolve("testdata/healthy_stopped.yaml"),
        kind.resolve("testdata/healthy_stopped.yaml"));
    Files.writeString(
        kind.resolve("health_test.yaml"),
        """
        tests:
        - healthStatus:
            status: Degraded
            message: 'Stopped: the VM is deployed and stopped, as asked'
          inputPath: testdata/healthy_stopped.yaml
        """);

    ExecResult run = ArgoCdHealth.runTests(List.of(kind));

    assertThat(run.exitCode()).isNotZero();
    assertThat(run.stdout())
        .contains("FAIL")
        .contains("got  Healthy")
        .contains("0 passed, 1 failed");
  }

  /**
   * A check installed through argocd-cm runs without Lua's string and math libraries in Argo CD
   * (gitops/conformance shows it with Argo CD's own VM), so the runner fails such a check too.
   */
  @Test
  void aCheckThatNeedsALibraryArgoCdDoesNotOpenFailsTheRun(@TempDir Path dir) throws IOException {
    for (String call :
        List.of("string.format('%s', 'Healthy')", "('Healthy'):lower()", "os.time()")) {
      Path kind = dir.resolve("K" + Math.abs(call.hashCode()));
      Files.createDirectories(kind.resolve("testdata"));
      Files.copy(
          ArgoCdHealth.CUSTOMIZATIONS.resolve("MicroVM/testdata/healthy_stopped.yaml"),
          kind.resolve("testdata/healthy_stopped.yaml"));
      Files.writeString(
          kind.resolve("health.lua"), "return {status = 'Healthy', message = " + call + "}\n");
      Files.writeString(
          kind.resolve("health_test.yaml"),
          """
          tests:
          - healthStatus:
              status: Healthy
              message: Healthy
            inputPath: testdata/healthy_stopped.yaml
          """);

      ExecResult run = ArgoCdHealth.runTests(List.of(kind));

      assertThat(run.stdout()).as(call).contains("0 passed, 1 failed").contains("error:");
    }
  }

  @Test
  void theInstallScriptAddsBothChecksToArgocdCmAndKeepsItsOtherKeys() throws IOException {
    try (KubernetesClient client = k8s.client()) {
      OperatorHarness.ensureNamespace(client, "argocd");
      client
          .resource(
              new ConfigMapBuilder()
                  .withNewMetadata()
                  .withName("argocd-cm")
                  .withNamespace("argocd")
                  .endMetadata()
                  .withData(Map.of("url", "https://argocd.example.org"))
                  .build())
          .create();

      ExecResult install =
          Commands.run(
              List.of(ArgoCdHealth.ARGOCD.resolve("install-health-checks.sh").toString()),
              Map.of(
                  "KUBECTL", k8s.kubectl().toString(),
                  "KUBECONFIG", k8s.kubeconfigFile().toString()),
              Duration.ofMinutes(1));
      assertThat(install.exitCode()).as(install.stderr()).isZero();

      ConfigMap cm = client.configMaps().inNamespace("argocd").withName("argocd-cm").get();
      assertThat(cm.getData())
          .containsEntry("url", "https://argocd.example.org")
          .containsEntry(
              "resource.customizations.health.microvm-operator.io_MicroVM",
              Files.readString(ArgoCdHealth.CUSTOMIZATIONS.resolve("MicroVM/health.lua")))
          .containsEntry(
              "resource.customizations.health.microvm-operator.io_MicroVMHost",
              Files.readString(ArgoCdHealth.CUSTOMIZATIONS.resolve("MicroVMHost/health.lua")));
    }
  }

  @SuppressWarnings("unchecked")
  private static List<Map<String, Object>> testsOf(Path folder) throws IOException {
    Map<String, Object> file =
        Serialization.unmarshal(Files.readString(folder.resolve("health_test.yaml")), Map.class);
    return (List<Map<String, Object>>) file.get("tests");
  }

  @SuppressWarnings("unchecked")
  private static String expectedStatus(Map<String, Object> test) {
    return (String) ((Map<String, Object>) test.get("healthStatus")).get("status");
  }
}
