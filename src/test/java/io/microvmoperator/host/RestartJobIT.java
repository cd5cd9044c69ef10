package io.microvmoperator.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.microvmoperator.nix.AbsolutePath;
import io.microvmoperator.nix.VmName;
import io.microvmoperator.reconcile.update.Rollbacks;
import io.microvmoperator.testenv.Commands;
import io.microvmoperator.testenv.Sleep;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import io.microvmoperator.testenv.TestHosts;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * systemd's restart of MicroVM.nix's {@code microvm@} (Restart=always), on real systemd: the
 * restart job stops the unit, then leaves it {@code inactive (dead)} with its start queued until
 * the units it needs have started again (on a real host microvm-virtiofsd@ and the tap helpers;
 * here a drop-in slows microvm-set-booted@). The operator's probe, its rollback judgement and its
 * stop must see that the runner will run again.
 */
class RestartJobIT {

  @RegisterExtension static TestHosts hosts = TestHosts.start(1);

  private static final String VM = "loop";

  @Test
  void betweenTheStopAndTheStartOfARestartTheRunnerWillRunAgain() throws Exception {
    TestHost host = hosts.get(0);
    TestFlake flake =
        TestFlake.create(hosts.root().resolve("flake"))
            .crashingRunner(VM, "c1", Duration.ofSeconds(1));
    host.ssh(
            "install -d -o root -g kvm -m 0775 /var/lib/microvms/loop && nix build -o"
                + " /var/lib/microvms/loop/current "
                + Commands.shellQuote(flake.installable(VM)))
        .orThrow("build");
    try (AutoCloseable restartSec = host.restartAlways(Duration.ofMillis(500));
        AutoCloseable slowHelpers = host.slowVmHelpers(Duration.ofSeconds(5));
        SshConnection ssh = host.connect()) {
      HostProtocol protocol = new HostProtocol(ssh, new AbsolutePath("/var/lib/microvms"));
      host.ssh("systemctl start microvm@loop").orThrow("start");
      await()
          .atMost(Duration.ofSeconds(20))
          .pollInterval(Duration.ofMillis(100))
          .until(
              () ->
                  host.ssh("systemctl show -p Job microvm@loop").stdout().matches("Job=\\d+\n")
                      && host.ssh("systemctl is-active microvm@loop")
                          .stdout()
                          .equals("inactive\n"));

      VmObservation between = protocol.probe(null).vm(VM).orElseThrow();
      assertThat(between.activeState()).isEqualTo("inactive");
      assertThat(between.jobQueued()).as("the restart's start, queued").isTrue();
      assertThat(between.runsOrWillRun()).isTrue();
      assertThat(between.restarts()).as("systemd counted the run it is about to begin").isOne();
      assertThat(Rollbacks.notKeptRunning(between))
          .as("one end is a guest that rebooted, not a failure")
          .isEmpty();

      long runs = runs(host);
      assertThat(protocol.stop(new VmName(VM), "restart-job/loop test-uid")).isTrue();
      assertThat(host.ssh("systemctl show -p Job microvm@loop").stdout())
          .as("the stop replaced the queued start")
          .isEqualTo("Job=\n");
      Sleep.of(Duration.ofSeconds(7));
      assertThat(runs(host)).as("the runner did not run again after the stop").isEqualTo(runs);
      assertThat(host.ssh("systemctl is-active microvm@loop").stdout())
          .matches("inactive\n|failed\n");
    }
  }

  private static int runs(TestHost host) {
    return host.logs().vmOutput(VM).split("microvm-run loop c1 started", -1).length - 1;
  }
}
