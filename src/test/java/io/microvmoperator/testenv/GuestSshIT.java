package io.microvmoperator.testenv;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * A real guest with SSH on a test host ({@link TestFlake#sshGuest}): it boots under the host's
 * systemd with the host's store shared by virtiofs (microvm-virtiofsd@ as root), answers SSH on the
 * port the host forwards to it with its pinned host key, runs the system it booted, and is switched
 * to a new system by hand as MicroVM.nix's sshSwitch does (the closure's registration loaded into
 * the guest's Nix database, the system profile set, switch-to-configuration switch) without a
 * restart: same qemu, uptime still growing, the new system current. A failing activation says so.
 */
class GuestSshIT {

  @RegisterExtension static TestHosts hosts = TestHosts.start(1);

  private static final Duration DEADLINE = Duration.ofSeconds(120);

  private final TestHost host = hosts.get(0);

  @AfterAll
  static void stopAll() {
    hosts.close();
  }

  @Test
  void aGuestWithSshMountsTheHostsStoreAndSwitchesLive() throws Exception {
    GuestSsh ssh = GuestSsh.create(hosts.root().resolve("guest-keys"), "g");
    TestFlake flake = TestFlake.create(hosts.root().resolve("flake"));
    flake.sshGuest("g", "v1", ssh.flakeOptions());
    String runner1 = build(flake, "g");
    String system1 = host.readlink(runner1 + "/share/microvm/system").orElseThrow();

    long begin = System.nanoTime();
    host.ssh("systemctl start microvm@g").orThrow("start");
    awaitOutput(TestFlake.guestReadyLine("g", "v1"));
    ssh.awaitReachable(DEADLINE);
    System.out.printf(
        "[figures] guest with SSH: systemctl start to an SSH command %.2f s%n",
        (System.nanoTime() - begin) / 1e9);
    long qemu = host.mainPid("microvm@g.service");
    assertThat(host.ssh("systemctl is-active microvm-virtiofsd@g").stdout()).isEqualTo("active\n");

    assertThat(ssh.run("cat /etc/hostname").orThrow("hostname").stdout()).isEqualTo("g\n");
    assertThat(guest(ssh, "readlink /run/current-system")).isEqualTo(system1);
    assertThat(guest(ssh, "cat /run/current-system/nixos-version")).isEqualTo("v1");
    assertThat(ssh.run("touch /nix/store/written-by-the-guest").ok())
        .as("the host's store is read-only in the guest")
        .isFalse();
    double uptime1 = uptime(ssh);

    flake.sshGuest("g", "v2", ssh.flakeOptions());
    String system2 = buildSystem(flake, "g");
    assertThat(system2).isNotEqualTo(system1);
    switchTo(ssh, system2).orThrow("switch to v2");

    assertThat(guest(ssh, "readlink /run/current-system")).isEqualTo(system2);
    assertThat(guest(ssh, "readlink -f /nix/var/nix/profiles/system")).isEqualTo(system2);
    assertThat(guest(ssh, "cat /run/switch-to-configuration.log")).isEqualTo("switch " + system2);
    assertThat(guest(ssh, "readlink /run/booted-system")).isEqualTo(system1);
    assertThat(host.mainPid("microvm@g.service")).as("the same qemu").isEqualTo(qemu);
    assertThat(uptime(ssh)).as("the guest's uptime keeps growing").isGreaterThan(uptime1);

    flake.sshGuest("g", "v3", ssh.flakeOptions().withFailingActivation());
    String system3 = buildSystem(flake, "g");
    ExecResult failed = switchTo(ssh, system3);
    assertThat(failed.exitCode()).as("a unit failed: exit 4, as NixOS's").isEqualTo(4);
    assertThat(failed.stderr()).contains("the following units failed");
    ssh.run(system2 + "/bin/switch-to-configuration switch").orThrow("switch back");
    assertThat(guest(ssh, "readlink /run/current-system")).isEqualTo(system2);

    host.ssh("systemctl stop microvm@g").orThrow("stop");
    assertThat(host.ssh("systemctl is-active microvm-virtiofsd@g").stdout())
        .as("the store's daemon stops with the VM (PartOf)")
        .isEqualTo("inactive\n");
  }

  /** sshSwitch's steps inside the guest, the registration dumped from the host's database. */
  private ExecResult switchTo(GuestSsh ssh, String system) throws Exception {
    Path registration = hosts.root().resolve("registration");
    String dump =
        host.ssh("nix-store --dump-db $(nix-store -qR " + system + ")").orThrow("dump-db").stdout();
    Files.writeString(registration, dump);
    ssh.run("nix-store --load-db", registration, DEADLINE).orThrow("load-db");
    ssh.run("nix-env -p /nix/var/nix/profiles/system --set " + system).orThrow("nix-env --set");
    return ssh.run(system + "/bin/switch-to-configuration switch", DEADLINE);
  }

  private static String guest(GuestSsh ssh, String command) {
    return ssh.run(command).orThrow(command).stdout().strip();
  }

  private static double uptime(GuestSsh ssh) {
    return Double.parseDouble(guest(ssh, "cat /proc/uptime").split(" ")[0]);
  }

  /** Builds the runner into the VM's current link, as microvm -c would; returns its path. */
  private String build(TestFlake flake, String name) {
    String build =
        "install -d -g kvm -m 0775 /var/lib/microvms/"
            + name
            + " && nix build -o /var/lib/microvms/"
            + name
            + "/current "
            + Commands.shellQuote(flake.installable(name));
    host.ssh(build, Duration.ofMinutes(3)).orThrow("build");
    return host.readlink("/var/lib/microvms/" + name + "/current").orElseThrow();
  }

  private String buildSystem(TestFlake flake, String name) {
    String installable = Commands.shellQuote(flake.toplevelInstallable(name));
    return host.ssh(
            "nix build --no-link " + installable + " && nix path-info " + installable,
            Duration.ofMinutes(3))
        .orThrow("build system")
        .stdout()
        .strip();
  }

  private void awaitOutput(String line) throws InterruptedException {
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
