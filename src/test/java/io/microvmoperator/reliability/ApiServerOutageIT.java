package io.microvmoperator.reliability;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.testenv.ApiServerReplica;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.awaitility.Awaitility;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The operator's API server is killed and comes back after 5 s, then after 20 s (longer than a
 * leader lease, 15 s). Nothing on the host restarts because of it, and a change made meanwhile is
 * deployed once it is back. The operator talks to an API server of its own on the shared etcd; the
 * test, like a user, writes through the shared one, so its changes made during the outage reach the
 * operator only through its informers once its API server is back.
 */
class ApiServerOutageIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(1);

  private static final String NS = "outage";
  private static final Duration CONVERGED = Duration.ofSeconds(180);
  private static ApiServerReplica apiServer;
  private static KubernetesClient operatorClient;

  @BeforeAll
  static void pointTheOperatorAtItsOwnApiServer() {
    env.stopOperator();
    apiServer =
        ApiServerReplica.start(
            env.controlPlane(), env.hosts().root().resolve("kube-apiserver.log"));
    operatorClient = apiServer.client();
    env.startOperator(operatorClient);
    env.ensureNamespace(NS);
    env.registerHost("outage-host", env.host(0), List.of(NS));
  }

  @AfterAll
  static void stopIt() {
    env.stopOperator();
    if (operatorClient != null) {
      operatorClient.close();
    }
    if (apiServer != null) {
      apiServer.close();
    }
  }

  @Test
  void anApiServerOutageRestartsNoVMAndTheOperatorCatchesUpAfterIt() {
    // While the API server is down, the client's watches cannot close cleanly and reconciles that
    // read or write the API fail: fabric8 and JOSDK log both with a stack trace (JOSDK retries).
    env.expectLogged("Queued close did not succeed");
    env.expectLogged("Uncaught error during event processing.*java\\.net\\.ConnectException");
    TestHost host = env.host(0);
    TestFlake v1 = flake("outage-v1", "v1");
    env.apply(microVM(NS, "steady", "outage-host", v1.pathRef(), "steady"));
    env.apply(microVM(NS, "changed", "outage-host", v1.pathRef(), "changed"));
    env.apply(microVM(NS, "drifted", "outage-host", v1.pathRef(), "drifted"));
    MicroVM steady = env.awaitRunner(NS, "steady", "-microvm-steady-v1", CONVERGED);
    env.awaitRunner(NS, "changed", "-microvm-changed-v1", CONVERGED);
    env.awaitRunner(NS, "drifted", "-microvm-drifted-v1", CONVERGED);
    host.logs().resetLogs();

    for (Outage outage : List.of(new Outage("v2", 5), new Outage("v3", 20))) {
      apiServer.stop();
      Instant down = Instant.now();
      TestFlake next = flake("outage-" + outage.version(), outage.version());
      env.apply(microVM(NS, "changed", "outage-host", next.pathRef(), "changed"));
      if (outage.seconds() >= 20) {
        // The operator keeps the host converged without its API server: it still has its caches,
        // the pooled SSH connection and the key it read last.
        host.shell("systemctl stop microvm@drifted").orThrow("stopping a VM by hand");
        // The API server stays down until the VM runs again (the outage lasts at least 20 s).
        // Within a probe interval as a rule; on a loaded machine the host's probes can wait in
        // JOSDK's retry back-off after status writes that failed, so up to a minute.
        await()
            .atMost(Duration.ofSeconds(60))
            .until(
                () ->
                    host.logs().starts("drifted") == 1
                        && host.shell("systemctl is-active microvm@drifted")
                            .stdout()
                            .strip()
                            .equals("active"));
        System.out.printf(
            "API server outage: a VM stopped by hand was started again %.1f s into the outage%n",
            Duration.between(down, Instant.now()).toMillis() / 1000.0);
      }
      pause(Duration.between(Instant.now(), down.plusSeconds(outage.seconds())));
      apiServer.start();
      Instant back = Instant.now();
      env.awaitRunner(NS, "changed", "-microvm-changed-" + outage.version(), CONVERGED);
      System.out.printf(
          "API server outage of %d s: the change made during it was deployed %.1f s after the"
              + " API server was back%n",
          outage.seconds(), Duration.between(back, Instant.now()).toMillis() / 1000.0);
    }

    assertThat(host.logs().starts("steady")).as("restarts of the VM nobody changed").isZero();
    assertThat(host.logs().starts("changed")).as("one restart per change").isEqualTo(2);
    env.awaitCondition(NS, "drifted", "Ready", "True");
    assertThat(host.logs().starts("drifted"))
        .as("started again once, during the outage")
        .isEqualTo(1);
    MicroVM after = env.get(NS, "steady");
    assertThat(env.condition(after, "Ready").orElseThrow().getStatus()).isEqualTo("True");
    assertThat(after.getStatus().history()).isEqualTo(steady.getStatus().history());
  }

  private record Outage(String version, int seconds) {}

  private static void pause(Duration duration) {
    if (duration.isNegative() || duration.isZero()) {
      return;
    }
    Awaitility.await().pollDelay(duration).atMost(duration.plusSeconds(1)).until(() -> true);
  }

  private static TestFlake flake(String dir, String version) {
    TestFlake flake = TestFlake.create(env.hosts().root().resolve(dir));
    List.of("steady", "changed", "drifted").forEach(vm -> flake.runner(vm, version));
    return flake;
  }
}
