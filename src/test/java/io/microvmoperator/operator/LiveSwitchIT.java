package io.microvmoperator.operator;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.testenv.GuestSsh;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.SshKeyPair;
import io.microvmoperator.testenv.TestFlake;
import io.microvmoperator.testenv.TestHost;
import java.time.Duration;
import java.util.List;
import java.util.function.Predicate;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * {@code update: SwitchWhenPossible} on real guests with SSH ({@link TestFlake#sshGuest}): a change
 * of the system alone is switched live (no restart: the same qemu, the guest's uptime grows, the
 * new system current in the guest); a change of the runner beyond the system (memory) restarts; an
 * activation that fails is rolled back in the guest and the new runner held back; a guest that
 * presents another host key gets no command and is restarted instead, as is a guest that does not
 * answer; and all of it works when the operator logs in to the host as the unprivileged {@code
 * microvm} user (its nix-daemon registers the closure).
 */
class LiveSwitchIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(3);

  private static final String NS = "live-switch";
  private static final Duration CONVERGED = Duration.ofMinutes(3);
  private static final String REQUEST = "microvm-operator.io/reconcile-requested-at";

  @BeforeAll
  static void setUp() {
    env.ensureNamespace(NS);
    env.registerHost("switch-host", env.host(0), List.of(NS));
    env.registerHost("fallback-host", env.host(1), List.of(NS));
    env.host(2).serveUnprivileged("microvm");
    env.registerHost("unprivileged-host", env.host(2), List.of(NS));
  }

  @Test
  void asTheMicrovmUserASystemChangeIsSwitchedLiveToo() throws Exception {
    TestHost host = env.host(2);
    GuestSsh ssh = guestSsh(host, "job");
    TestFlake flake =
        TestFlake.create(env.hosts().root().resolve("job"))
            .sshGuest("job", "v1", ssh.flakeOptions());
    env.apply(
        switching(microVM(NS, "job", "unprivileged-host", flake.pathRef(), "job"), ssh, null));
    env.awaitRunner(NS, "job", "-microvm-job-v1", CONVERGED);
    ssh.awaitReachable(CONVERGED);
    long qemu = host.mainPid("microvm@job.service");

    flake.sshGuest("job", "v2", ssh.flakeOptions());
    env.annotate(NS, "job", REQUEST, "v2");
    MicroVM switched = awaitLiveSwitch("job", "-microvm-job-v2", "Switched");

    assertThat(guest(ssh, "readlink /run/current-system"))
        .isEqualTo(switched.getStatus().liveSwitch().system());
    assertThat(host.mainPid("microvm@job.service")).as("the same qemu").isEqualTo(qemu);
    assertThat(host.logs().sshdLog()).doesNotContain("Accepted publickey for root");
  }

  @Test
  void aSystemChangeIsSwitchedLiveARunnerChangeRestartsAFailedActivationRollsBack()
      throws Exception {
    TestHost host = env.host(0);
    GuestSsh ssh = guestSsh(host, "web");
    TestFlake flake =
        TestFlake.create(env.hosts().root().resolve("web"))
            .sshGuest("web", "v1", ssh.flakeOptions());
    env.apply(switching(microVM(NS, "web", "switch-host", flake.pathRef(), "web"), ssh, null));
    String v1 =
        env.awaitRunner(NS, "web", "-microvm-web-v1", CONVERGED).getStatus().currentStorePath();
    ssh.awaitReachable(CONVERGED);
    long qemu = host.mainPid("microvm@web.service");
    double uptime = uptime(ssh);

    flake.sshGuest("web", "v2", ssh.flakeOptions());
    env.annotate(NS, "web", REQUEST, "v2");
    MicroVM switched = awaitLiveSwitch("web", "-microvm-web-v2", "Switched");
    MicroVMStatus status = switched.getStatus();
    String system2 =
        host.readlink(status.currentStorePath() + "/share/microvm/system").orElseThrow();
    assertThat(status.liveSwitch().system()).isEqualTo(system2);
    assertThat(status.liveSwitch().reason()).startsWith("switched live to " + system2);
    assertThat(status.bootedStorePath()).as("booted: the runner it booted").isEqualTo(v1);
    assertThat(host.readlink("/var/lib/microvms/web/booted")).contains(v1);
    assertThat(host.mainPid("microvm@web.service")).as("the same qemu").isEqualTo(qemu);
    assertThat(host.logs().starts("web")).as("started once, never restarted").isEqualTo(1);
    assertThat(guest(ssh, "readlink /run/current-system")).isEqualTo(system2);
    assertThat(guest(ssh, "cat /run/switch-to-configuration.log")).isEqualTo("switch " + system2);
    assertThat(uptime(ssh)).as("the guest's uptime keeps growing").isGreaterThan(uptime);
    assertThat(env.condition(switched, "RestartRequired").orElseThrow().getReason())
        .isEqualTo("SwitchedLive");
    assertThat(env.condition(switched, "Ready").orElseThrow().getStatus()).isEqualTo("True");
    assertThat(events("web")).contains("SwitchedLive");
    assertThat(host.shell("microvm-list").stdout())
        .as("microvm -l (its stand-in) compares booted's system with current's")
        .contains("web: stale(nixos-system-web-v1), reboot(nixos-system-web-v2)");

    flake.sshGuest("web", "v3", ssh.flakeOptions().withMemory(640));
    env.annotate(NS, "web", REQUEST, "v3");
    MicroVM restarted = awaitLiveSwitch("web", "-microvm-web-v3", "Restarted");
    assertThat(restarted.getStatus().liveSwitch().reason())
        .isEqualTo("the runner changed beyond its system: bin/microvm-run differs");
    awaitBooted("web", restarted.getStatus().currentStorePath());
    assertThat(host.mainPid("microvm@web.service")).as("a new qemu").isNotEqualTo(qemu);
    String v3 = restarted.getStatus().currentStorePath();
    ssh.awaitReachable(CONVERGED);
    String system3 = guest(ssh, "readlink /run/current-system");

    flake.sshGuest("web", "v4", ssh.flakeOptions().withMemory(640).withFailingActivation());
    env.annotate(NS, "web", REQUEST, "v4");
    MicroVM rolledBack =
        env.awaitMicroVM(
            NS,
            "web",
            CONVERGED,
            vm -> vm.getStatus() != null && vm.getStatus().phase() == Phase.RolledBack);
    MicroVMStatus back = rolledBack.getStatus();
    assertThat(back.liveSwitch().result()).isEqualTo("RolledBack");
    assertThat(back.rollback().failedStorePath()).endsWith("-microvm-web-v4");
    assertThat(back.rollback().restoredStorePath()).isEqualTo(v3);
    assertThat(back.rollback().cause()).contains("switch-to-configuration switch exited 4");
    assertThat(back.currentStorePath()).isEqualTo(v3);
    assertThat(host.readlink("/var/lib/microvms/web/current")).contains(v3);
    assertThat(guest(ssh, "readlink /run/current-system"))
        .as("back on v3's system")
        .isEqualTo(system3);
    assertThat(guest(ssh, "tail -n 2 /run/switch-to-configuration.log").lines().toList())
        .as("v4 activated, then v3's system again")
        .hasSize(2)
        .last()
        .isEqualTo("switch " + system3);
    assertThat(env.condition(rolledBack, "Stalled").orElseThrow().getReason())
        .isEqualTo("RolledBack");
    assertThat(events("web")).contains("RolledBack");
  }

  @Test
  void aGuestWithAnotherHostKeyGetsNoCommandAndAGuestThatDoesNotAnswerIsRestarted()
      throws Exception {
    TestHost host = env.host(1);
    GuestSsh ssh = guestSsh(host, "api");
    TestFlake flake =
        TestFlake.create(env.hosts().root().resolve("api"))
            .sshGuest("api", "v1", ssh.flakeOptions());
    String otherKey = host.hostKeyLine();
    MicroVM vm =
        switching(microVM(NS, "api", "fallback-host", flake.pathRef(), "api"), ssh, otherKey);
    env.apply(vm);
    env.awaitRunner(NS, "api", "-microvm-api-v1", CONVERGED);
    ssh.awaitReachable(CONVERGED);
    // This test's own login (awaitReachable), once the guest's sshd has logged it.
    org.awaitility.Awaitility.await()
        .atMost(CONVERGED)
        .until(() -> GuestSsh.acceptedLogins(host, "api") >= 1);
    long logins = GuestSsh.acceptedLogins(host, "api");

    flake.sshGuest("api", "v2", ssh.flakeOptions());
    env.annotate(NS, "api", REQUEST, "v2");
    MicroVM restarted = awaitLiveSwitch("api", "-microvm-api-v2", "Restarted");
    assertThat(restarted.getStatus().liveSwitch().reason())
        .startsWith("no live switch (HOST_KEY_REJECTED)")
        .contains("nothing was run on it");
    assertThat(GuestSsh.acceptedLogins(host, "api"))
        .as("logins the guest accepted")
        .isEqualTo(logins);
    awaitBooted("api", restarted.getStatus().currentStorePath());
    assertThat(events("api")).contains("LiveSwitchFailed");
    // Booted: the guest is up once it answers (a power button pressed while it boots is lost).
    ssh.awaitReachable(CONVERGED);

    MicroVMSpec.GuestSsh nobody =
        new MicroVMSpec.GuestSsh("127.0.0.1", 9, "root", List.of(ssh.hostKey().publicKeyLine()));
    vm.setSpec(MicroVMSpecBuilder.from(vm.getSpec()).guestSsh(nobody).build());
    env.apply(vm);
    flake.sshGuest("api", "v3", ssh.flakeOptions());
    env.annotate(NS, "api", REQUEST, "v3");
    MicroVM fallback = awaitLiveSwitch("api", "-microvm-api-v3", "Restarted");
    assertThat(fallback.getStatus().liveSwitch().reason())
        .startsWith("no live switch (UNREACHABLE)");
    awaitBooted("api", fallback.getStatus().currentStorePath());
  }

  private static GuestSsh guestSsh(TestHost host, String name) {
    SshKeyPair operatorKey =
        new SshKeyPair(host.clientPrivateKeyFile(), host.clientPublicKeyLine());
    return GuestSsh.create(env.hosts().root().resolve("guest-keys"), name, operatorKey);
  }

  /** update SwitchWhenPossible, the guest on its forwarded port, pinned to {@code pinned}. */
  private static MicroVM switching(MicroVM vm, GuestSsh ssh, String pinned) {
    String key = pinned == null ? ssh.hostKey().publicKeyLine() : pinned;
    MicroVMSpec.GuestSsh guest =
        new MicroVMSpec.GuestSsh("127.0.0.1", ssh.port(), "root", List.of(key));
    vm.setSpec(MicroVMSpecBuilder.from(vm.getSpec()).switchWhenPossible(guest).build());
    return vm;
  }

  private static MicroVM awaitLiveSwitch(String name, String runnerSuffix, String result) {
    long begin = System.nanoTime();
    MicroVM vm = awaitLiveSwitchResult(name, runnerSuffix, result);
    System.out.printf(
        "[figures] %s %s: annotation to status %s %.1f s%n",
        name, runnerSuffix, result, (System.nanoTime() - begin) / 1e9);
    return vm;
  }

  private static MicroVM awaitLiveSwitchResult(String name, String runnerSuffix, String result) {
    Predicate<MicroVM> done =
        vm ->
            vm.getStatus() != null
                && vm.getStatus().liveSwitch() != null
                && String.valueOf(vm.getStatus().liveSwitch().storePath()).endsWith(runnerSuffix)
                && result.equals(vm.getStatus().liveSwitch().result())
                && String.valueOf(vm.getStatus().currentStorePath()).endsWith(runnerSuffix);
    return env.awaitMicroVM(NS, name, CONVERGED, done);
  }

  private static void awaitBooted(String name, String runner) {
    long begin = System.nanoTime();
    awaitBootedStatus(name, runner);
    System.out.printf(
        "[figures] %s: then booted %.1f s later%n", name, (System.nanoTime() - begin) / 1e9);
  }

  private static void awaitBootedStatus(String name, String runner) {
    env.awaitMicroVM(
        NS,
        name,
        CONVERGED,
        vm -> vm.getStatus() != null && runner.equals(vm.getStatus().bootedStorePath()));
  }

  private static String guest(GuestSsh ssh, String command) {
    return ssh.run(command).orThrow(command).stdout().strip();
  }

  private static double uptime(GuestSsh ssh) {
    return Double.parseDouble(guest(ssh, "cat /proc/uptime").split(" ")[0]);
  }

  private static List<String> events(String name) {
    return env.eventsOf(NS, name).stream().map(Event::getReason).toList();
  }
}
