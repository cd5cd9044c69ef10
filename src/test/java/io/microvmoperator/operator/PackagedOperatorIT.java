package io.microvmoperator.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.microvmoperator.testenv.KubeControlPlane;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHosts;
import java.io.File;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The runnable jar, as a user starts it: against a kubeconfig, with health, readiness and
 * Prometheus endpoints and leader election, converging a MicroVM to Ready.
 */
class PackagedOperatorIT {

  @RegisterExtension static KubeControlPlane k8s = KubeControlPlane.shared();
  @RegisterExtension static TestHosts hosts = TestHosts.start(1);

  private static final String NS = "packaged";
  private static final HttpClient http = HttpClient.newHttpClient();
  private static KubernetesClient client;
  private static Process operator;
  private static int port;

  @BeforeAll
  static void startTheJar() throws Exception {
    client = k8s.client();
    OperatorHarness.ensureNamespace(client, OperatorHarness.OPERATOR_NAMESPACE);
    Path kubeconfig = hosts.root().resolve("kubeconfig");
    Files.writeString(kubeconfig, k8s.kubeconfigYaml());
    try (ServerSocket socket = new ServerSocket(0)) {
      port = socket.getLocalPort();
    }
    File jar =
        Files.list(Path.of("target"))
            .filter(p -> p.getFileName().toString().matches("microvm-operator-.*\\.jar"))
            .findFirst()
            .orElseThrow()
            .toFile();
    ProcessBuilder builder =
        new ProcessBuilder(
                Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-jar",
                jar.toString())
            .redirectErrorStream(true)
            .redirectOutput(hosts.root().resolve("operator.log").toFile());
    builder.environment().put("KUBECONFIG", kubeconfig.toString());
    builder.environment().put("OPERATOR_NAMESPACE", OperatorHarness.OPERATOR_NAMESPACE);
    builder.environment().put("HEALTH_PORT", String.valueOf(port));
    builder.environment().put("LEADER_ELECTION", "true");
    builder.environment().put("LOG4J_CONFIGURATION_FILE", "classpath:log4j2-json.xml");
    operator = builder.start();
  }

  @AfterAll
  static void stopTheJar() throws Exception {
    if (operator != null) {
      operator.destroy();
      if (!operator.waitFor(30, java.util.concurrent.TimeUnit.SECONDS)) {
        operator.destroyForcibly();
        throw new AssertionError("the operator did not stop within 30 s of SIGTERM");
      }
    }
    client.close();
  }

  @Test
  void theJarBecomesReadyServesMetricsLeadsAndConvergesAMicroVM() throws Exception {
    await()
        .atMost(Duration.ofSeconds(90))
        .ignoreExceptions()
        .until(() -> get("/readyz").statusCode() == 200);
    assertThat(get("/healthz").body()).isEqualTo("ok");
    String metrics = get("/metrics").body();
    assertThat(metrics).contains("jvm_memory_used_bytes");
    Lease lease =
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    client
                        .leases()
                        .inNamespace(OperatorHarness.OPERATOR_NAMESPACE)
                        .withName("microvm-operator-leader")
                        .get(),
                l -> l != null && l.getSpec().getHolderIdentity() != null);
    assertThat(lease.getSpec().getHolderIdentity()).isNotBlank();

    OperatorHarness.ensureNamespace(client, NS);
    OperatorHarness.registerHost(client, "packaged-host", hosts.get(0), List.of(NS));
    TestFlake flake = TestFlake.create(hosts.root().resolve("flake")).runner("app", "v1");
    client
        .resource(OperatorHarness.microVM(NS, "app", "packaged-host", flake.pathRef(), "app"))
        .serverSideApply();

    await()
        .atMost(Duration.ofSeconds(90))
        .until(
            () -> {
              var vm =
                  client
                      .resources(io.microvmoperator.api.MicroVM.class)
                      .inNamespace(NS)
                      .withName("app")
                      .get();
              return vm.getStatus() != null
                  && vm.getStatus().conditionsOrEmpty().stream()
                      .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
            });
    assertThat(get("/metrics").body()).contains("operator_sdk");
    assertThat(Files.readString(hosts.root().resolve("operator.log")))
        .as("JSON logs on request")
        .contains("\"log.level\"")
        .doesNotContain("PRIVATE KEY");
  }

  private static HttpResponse<String> get(String path) throws Exception {
    return http.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }
}
