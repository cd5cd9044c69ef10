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
 * restarted onto a new version and stopped through the host's real systemd (MicroVM.nix's unit,
 * Type=simple: no NOTIFY_SOCKET, so the runner only copies the console to the unit's journal).
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
    TestFlake flake = TestFlake.create(hosts.root().resolve("flake")).guest("g", "v1");
    // The VM folder as `microvm -c` makes it: microvm-set-booted@ runs as microvm:kvm.
    host.ssh("install -d -o root -g kvm -m 0775 /var/lib/microvms/g").orThrow("VM folder");
    String build =
        "nix build -o /var/lib/microvms/g/current " + Commands.shellQuote(flake.installable("g"));
    host.ssh(build, Duration.ofMinutes(3)).orThrow("build v1");

    long begin = System.nanoTime();
    host.ssh("systemctl start microvm@g").orThrow("start");
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

  private long mainPid() {
    String show = host.ssh("systemctl show -p MainPID microvm@g").orThrow("show").stdout();
    long insideHost = Long.parseLong(show.trim().substring("MainPID=".length()));
    return host.outerPid(insideHost).orElseThrow(() -> new AssertionError("no runner: " + show));
  }

  private void awaitOutput(String line) throws InterruptedException, IOException {
    long end = System.nanoTime() + DEADLINE.toNanos();
    while (!host.vmOutput("g").contains(line)) {
      if (System.nanoTime() > end) {
        throw new AssertionError(
            "no '" + line + "' within " + DEADLINE + "; the VM printed:\n" + host.vmOutput("g"));
      }
      Thread.sleep(50);
    }
  }
}
