package io.microvmoperator.operator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.coordination.v1.Lease;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.microvmoperator.testenv.Commands;
import io.microvmoperator.testenv.ExecResult;
import io.microvmoperator.testenv.KubeControlPlane;
import io.microvmoperator.testenv.ListeningSockets;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.OperatorProcess;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHosts;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
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
  private static KubernetesClient client;
  private static OperatorProcess operator;

  @BeforeAll
  static void startTheJar() throws Exception {
    client = k8s.client();
    OperatorHarness.ensureNamespace(client, OperatorHarness.OPERATOR_NAMESPACE);
    Path kubeconfig = hosts.root().resolve("kubeconfig");
    Files.writeString(kubeconfig, k8s.kubeconfigYaml());
    operator =
        OperatorProcess.start(
            kubeconfig,
            Map.of(
                "OPERATOR_NAMESPACE", OperatorHarness.OPERATOR_NAMESPACE,
                "LEADER_ELECTION", "true",
                "LOG4J_CONFIGURATION_FILE", "classpath:log4j2-json.xml",
                "LOG_LEVEL", "debug"),
            hosts.root().resolve("operator.log"));
  }

  @AfterAll
  static void stopTheJar() {
    if (operator != null) {
      operator.close();
    }
    client.close();
  }

  @Test
  void theJarBecomesReadyServesMetricsLeadsAndConvergesAMicroVM() throws Exception {
    await()
        .atMost(Duration.ofSeconds(90))
        .ignoreExceptions()
        .until(() -> operator.get("/readyz").statusCode() == 200);
    assertThat(operator.get("/healthz").body()).isEqualTo("ok");
    assertThat(ListeningSockets.ofThisRun())
        .filteredOn(socket -> socket.port() == operator.port())
        .as("the health port of a test's operator")
        .isNotEmpty()
        .allMatch(ListeningSockets.Socket::loopbackOnly, "listens on loopback");
    String metrics = operator.get("/metrics").body();
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
    var scrape = operator.get("/metrics");
    assertThat(scrape.body()).contains("operator_sdk");
    // What Prometheus 3 needs to accept the scrape at all.
    assertThat(scrape.headers().firstValue("Content-Type"))
        .contains("text/plain; version=0.0.4; charset=utf-8");
    // The same /metrics through Prometheus' own text-format parser (hack/prometheus, Go).
    ExecResult scraped =
        Commands.run(
            List.of(
                "go",
                "-C",
                "hack/prometheus",
                "test",
                "-count=1",
                "-v",
                "-run",
                "TestThePackagedOperatorsMetrics",
                "./..."),
            Map.of("METRICS_URL", operator.url("/metrics"), "METRICS_HOST", "packaged-host"),
            Duration.ofMinutes(5));
    System.out.println(scraped.stdout() + scraped.stderr());
    assertThat(scraped.exitCode()).as(scraped.stdout() + scraped.stderr()).isZero();
    assertThat(scraped.stdout())
        .contains("--- PASS: TestThePackagedOperatorsMetrics")
        .doesNotContain("SKIP");
    assertThat(operator.log())
        .as("JSON logs on request, at the level asked for (the chart's logLevel)")
        .contains("\"log.level\"")
        .contains("\"log.level\":\"DEBUG\"")
        .doesNotContain("PRIVATE KEY");
  }
}
