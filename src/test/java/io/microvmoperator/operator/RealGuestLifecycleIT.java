package io.microvmoperator.operator;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A MicroVM's whole life with a real Linux guest (qemu under TCG) on a host whose MicroVM.nix units
 * are notify units: Running means the guest booted and said so; an update restarts it onto the new
 * guest; running: false powers it down through microvm-shutdown; deletion removes it.
 */
class RealGuestLifecycleIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(1);

  private static final String NS = "guests";
  private static final Duration BOOTED = Duration.ofSeconds(120);
  private static TestHost host;
  private static AutoCloseable notify;

  @BeforeAll
  static void setUp() {
    env.ensureNamespace(NS);
    host = env.host(0);
    notify = host.useNotifySockets();
    env.registerHost("guest-host", host, List.of(NS));
  }

  @AfterAll
  static void tearDown() throws Exception {
    notify.close();
  }

  @Test
  void aRealGuestBootsIsUpdatedIsPoweredDownAndIsRemoved() {
    TestFlake flake = TestFlake.create(env.hosts().root().resolve("flake")).guest("web", "v1");
    env.apply(microVM(NS, "web", "guest-host", flake.pathRef(), "web"));
    MicroVM running = env.awaitRunner(NS, "web", "-microvm-web-v1", BOOTED);
    env.awaitCondition(NS, "web", "Running", "True");
    assertThat(host.logs().vmOutput("web")).contains(TestFlake.guestReadyLine("web", "v1"));
    assertThat(host.logs().starts("web")).isEqualTo(1);
    assertThat(running.getStatus().bootedStorePath()).endsWith("-microvm-web-v1");

    flake.guest("web", "v2");
    env.annotate(NS, "web", "microvm-operator.io/reconcile-requested-at", "v2");
    env.awaitRunner(NS, "web", "-microvm-web-v2", BOOTED);
    assertThat(host.logs().vmOutput("web")).contains(TestFlake.guestReadyLine("web", "v2"));
    assertThat(host.logs().starts("web")).isEqualTo(2);
    assertThat(env.eventsOf(NS, "web")).noneMatch(e -> "StartFailed".equals(e.getReason()));

    MicroVM stop = microVM(NS, "web", "guest-host", flake.pathRef(), "web");
    stop.setSpec(MicroVMSpecBuilder.from(stop.getSpec()).running(false).build());
    env.apply(stop);
    MicroVM stopped = env.awaitCondition(NS, "web", "Running", "False");
    assertThat(env.condition(stopped, "Running").orElseThrow().getReason())
        .isEqualTo("StoppedOnRequest");
    assertThat(host.ssh("systemctl is-active microvm@web.service").stdout())
        .isEqualTo("inactive\n");
    assertThat(host.ssh("systemctl show -p Result --value microvm@web.service").stdout().strip())
        .as("powered down by microvm-shutdown, not killed")
        .isEqualTo("success");

    env.client().resources(MicroVM.class).inNamespace(NS).withName("web").delete();
    await().atMost(Duration.ofSeconds(60)).until(() -> env.get(NS, "web") == null);
    assertThat(host.realPath("/var/lib/microvms/web")).doesNotExist();
  }

  /**
   * A guest that takes 70 s to power off (longer than the 60 s an older operator gave a stop or a
   * removal, which then retried, found the unit "deactivating", did not match it and removed the
   * folder of a VM still stopping): its deletion waits for the graceful stop and then removes it.
   */
  @Test
  void aDeletionWaitsForAGuestThatTakesLongToPowerOff() {
    TestFlake flake =
        TestFlake.create(env.hosts().root().resolve("slow-flake"))
            .guestStopsSlowly("slow", "v1", Duration.ofSeconds(70));
    env.apply(microVM(NS, "slow", "guest-host", flake.pathRef(), "slow"));
    env.awaitRunner(NS, "slow", "-microvm-slow-v1", BOOTED);
    env.awaitCondition(NS, "slow", "Running", "True");

    env.client().resources(MicroVM.class).inNamespace(NS).withName("slow").delete();
    await().atMost(Duration.ofSeconds(180)).until(() -> env.get(NS, "slow") == null);

    assertThat(host.realPath("/var/lib/microvms/slow")).doesNotExist();
    String console = host.logs().vmOutput("slow");
    assertThat(console)
        .as("the guest stopped as it wanted to, not killed")
        .contains("power button pressed, stopping for 70s")
        .contains("powering off");
    assertThat(env.eventsOf(NS, "slow"))
        .noneMatch(e -> "DeletionWaitsForHost".equals(e.getReason()));
    assertThat(host.ssh("journalctl -u microvm@slow.service --no-pager").stdout())
        .doesNotContain("timed out")
        .doesNotContain("Killing process");
  }
}
