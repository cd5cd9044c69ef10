package io.microvmoperator.testenv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real guest on a test host as the operator's tests would use it: built over SSH, started,
 * restarted onto a new version and stopped through the host's real systemd, with MicroVM.nix's
 * units as notify units ({@code useNotifySockets}): a start returns once the guest reported ready,
 * and the stop runs {@code booted/bin/microvm-shutdown} (a power-down over QMP).
 */
class GuestOnTestHostIT {

  @RegisterExtension static TestHosts hosts = TestHosts.start(1);

  private static final Duration DEADLINE = Duration.ofSeconds(90);

  private final TestHost host = hosts.get(0);

  @AfterAll
  static void stopAll() {
    hosts.close();
  }

  @Test
  void aGuestBootsRestartsOntoItsNewVersionAndStops() throws Exception {
    try (AutoCloseable notify = host.useNotifySockets()) {
      bootRestartAndStop();
    }
  }

  private void bootRestartAndStop() throws Exception {
    TestFlake flake = TestFlake.create(hosts.root().resolve("flake")).guest("g", "v1");
    // The folder as microvm -c makes it: microvm-set-booted@ (microvm:kvm) must write booted there
    String build =
        "install -d -g kvm -m 0775 /var/lib/microvms/g && nix build -o /var/lib/microvms/g/current "
            + Commands.shellQuote(flake.installable("g"));
    host.ssh(build, Duration.ofMinutes(3)).orThrow("build v1");

    long begin = System.nanoTime();
    host.ssh("systemctl start microvm@g").orThrow("start");
    assertThat(host.logs().vmOutput("g"))
        .as("a notify start returns once the guest is ready")
        .contains(TestFlake.guestReadyLine("g", "v1"));
    awaitOutput(TestFlake.guestReadyLine("g", "v1"));
    System.out.printf(
        "[figures] guest on a test host: systemctl start to ready line %.2f s%n",
        (System.nanoTime() - begin) / 1e9);
    long first = mainPid();
    assertThat(Files.readString(Path.of("/proc/" + first + "/cmdline"))).startsWith("microvm@g\0");
    assertThat(host.ssh("systemctl is-active microvm@g").stdout()).isEqualTo("active\n");

    flake.guest("g", "v2");
    host.ssh(build, Duration.ofMinutes(3)).orThrow("build v2");
    host.ssh("systemctl restart microvm@g").orThrow("restart");
    awaitOutput(TestFlake.guestReadyLine("g", "v2"));
    long second = mainPid();
    assertThat(second).isNotEqualTo(first);
    assertThat(alive(first)).as("the v1 qemu").isFalse();

    host.ssh("systemctl stop microvm@g").orThrow("stop");
    assertThat(host.ssh("systemctl is-active microvm@g").stdout()).isEqualTo("inactive\n");
    assertThat(alive(second)).as("the v2 qemu").isFalse();
  }

  /** Whether a process runs (a zombie whose parent has not reaped it yet does not). */
  private static boolean alive(long pid) {
    try {
      String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
      return !stat.substring(stat.lastIndexOf(") ") + 2).startsWith("Z");
    } catch (IOException e) {
      return false;
    }
  }

  /** The qemu of microvm@g as this machine sees it (the unit's MainPID is the host's own pid). */
  private long mainPid() {
    return host.outerPid(host.mainPid("microvm@g.service")).orElseThrow();
  }

  private void awaitOutput(String line) throws InterruptedException, IOException {
    long end = System.nanoTime() + DEADLINE.toNanos();
    while (!host.logs().vmOutput("g").contains(line)) {
      if (System.nanoTime() > end) {
        throw new AssertionError(
            "no '"
                + line
                + "' within "
                + DEADLINE
                + "; the VM printed:\n"
                + host.logs().vmOutput("g"));
      }
      Thread.sleep(50);
    }
  }
}
