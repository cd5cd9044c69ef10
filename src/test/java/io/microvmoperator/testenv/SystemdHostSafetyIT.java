package io.microvmoperator.testenv;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A test host's systemd must never touch this machine: real systemd as PID 1 once emptied the whole
 * machine's /tmp (its boot-time tmpfiles cleaned the shared mount). Canary files in the real /tmp
 * and /var/tmp, old enough for any tmpfiles clean-up to remove them, survive hosts that start,
 * stop, run a VM, are killed with SIGKILL mid-way (PID 1 or the launcher), and even an explicit
 * {@code systemd-tmpfiles --clean --remove} inside a host. {@code host-init} refuses to start
 * systemd outside its own PID and mount namespaces, or where / is not private.
 */
class SystemdHostSafetyIT {

  private final String id = UUID.randomUUID().toString();
  private final List<Path> canaries = new ArrayList<>();

  @BeforeEach
  void plantCanaries() throws IOException {
    for (String dir : List.of("/tmp", "/var/tmp")) {
      Path folder = Path.of(dir, "microvm-safety-canary-" + id);
      Files.createDirectories(folder);
      Path file = folder.resolve("canary");
      Files.writeString(file, id);
      Path loose = Path.of(dir, "microvm-safety-canary-" + id + ".txt");
      Files.writeString(loose, id);
      FileTime old = FileTime.from(Instant.now().minus(Duration.ofDays(90)));
      for (Path path : List.of(file, loose, folder)) {
        Files.setLastModifiedTime(path, old);
      }
      canaries.addAll(List.of(file, loose));
    }
  }

  @AfterEach
  void removeCanaries() throws IOException {
    for (Path canary : canaries) {
      Files.deleteIfExists(canary);
    }
    for (String dir : List.of("/tmp", "/var/tmp")) {
      Files.deleteIfExists(Path.of(dir, "microvm-safety-canary-" + id));
    }
  }

  @Test
  void canariesInTheRealTmpSurviveHostsStartingStoppingAndBeingKilled() throws Exception {
    Path runRoot;
    try (TestHosts hosts = TestHosts.start(2)) {
      runRoot = hosts.root();
      TestHost first = hosts.get(0);
      TestHost second = hosts.get(1);
      assertCanariesAlive("after two hosts booted");

      // Inside a host, /tmp and /var/tmp are its own: the canaries are not there, and what a
      // host's systemd-tmpfiles removes stays removed inside it only.
      assertThat(first.shell("ls -A /tmp /var/tmp").orThrow("ls").stdout()).doesNotContain(id);
      first
          .exec("/bin/systemd-tmpfiles", "--clean", "--remove", "--boot")
          .orThrow("tmpfiles inside the host");
      // (all but this run's folder, which is bound into the host at its own path)
      first
          .shell(
              "find /tmp /var/tmp -mindepth 1 -maxdepth 1 ! -name 'microvm-testenv-*'"
                  + " -exec rm -rf {} +")
          .orThrow("rm inside the host");
      assertCanariesAlive("after tmpfiles --clean --remove and rm -rf inside a host");

      TestFlake flake = TestFlake.create(runRoot.resolve("flake")).runner("vm", "v1");
      first
          .ssh(
              "install -d -o root -g kvm -m 0775 /var/lib/microvms/vm && nix build -o"
                  + " /var/lib/microvms/vm/current "
                  + Commands.shellQuote(flake.installable("vm"))
                  + " && systemctl start microvm@vm")
          .orThrow("deploy a VM");
      assertThat(first.ssh("systemctl is-active microvm@vm").stdout()).isEqualTo("active\n");

      first.restart();
      first.ssh("true").orThrow("ssh after an sshd restart");
      first.close();
      assertStopped(first);
      assertCanariesAlive("after a host halted with a VM running");
      first.start();
      first.ssh("true").orThrow("ssh after booting again");
      assertCanariesAlive("after a host booted again");

      // SIGKILL to PID 1 mid-way: the whole PID namespace ends at once, nothing stops cleanly.
      long pid1 = second.pid1().orElseThrow();
      ProcessHandle.of(pid1).orElseThrow().destroyForcibly();
      await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(pid1).isEmpty());
      second.crash();
      assertStopped(second);
      assertCanariesAlive("after SIGKILL to a host's PID 1");
      second.start();

      // SIGKILL to the launcher (unshare --kill-child): PID 1 is killed with it.
      long launcher = second.launcherPid().orElseThrow();
      long secondPid1 = second.pid1().orElseThrow();
      ProcessHandle.of(launcher).orElseThrow().destroyForcibly();
      await().atMost(Duration.ofSeconds(10)).until(() -> ProcessHandle.of(secondPid1).isEmpty());
      second.crash();
      assertStopped(second);
      assertCanariesAlive("after SIGKILL to a host's launcher");
      second.start().ssh("true").orThrow("ssh after booting again");

      // SIGKILL to the launcher while it sets the host up (mounts, masks, pivot_root) or while
      // systemd boots: at several moments of a boot.
      for (long delayMillis : List.of(0L, 30L, 80L, 150L, 300L)) {
        String name = "boot" + delayMillis;
        TestHost booting = TestHost.create(name, second.address(), runRoot.resolve(name));
        CompletableFuture<TestHost> boot = CompletableFuture.supplyAsync(booting::start);
        ProcessHandle bootLauncher = awaitLauncher(runRoot.resolve(name));
        Thread.sleep(delayMillis);
        bootLauncher.destroyForcibly();
        try {
          boot.get(60, TimeUnit.SECONDS);
        } catch (ExecutionException expected) {
          // the boot failed, as it should; or it had finished before the kill:
        }
        booting.crash();
        assertThat(booting.pid1()).isEmpty();
        assertCanariesAlive("after SIGKILL to a launcher " + delayMillis + " ms into a boot");
      }
    }
    assertCanariesAlive("after the hosts were closed");
    assertThat(Files.readString(Path.of("/proc/self/mountinfo")))
        .as("no mount of a host leaked into this machine's mount namespace")
        .doesNotContain("testhost-")
        .doesNotContain(runRoot.toString());
    try (var cgroups = Files.list(SystemdRoot.CGROUP_ROOT)) {
      assertThat(cgroups.map(Path::toString).toList())
          .noneMatch(name -> name.contains(runRoot.getFileName().toString()));
    }
  }

  @Test
  void hostInitRefusesOutsideItsOwnNamespaces() throws Exception {
    Path root = TestHosts.newRoot();
    try {
      Path script = root.resolve("host-init");
      try (InputStream in = SystemdHostSafetyIT.class.getResourceAsStream("/testenv/host-init")) {
        Files.write(script, in.readAllBytes());
      }
      Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwx------"));
      // A host folder that does not exist: were a safety check missing, the script would stop at
      // the folder check instead, before it mounts anything.
      List<String> inner =
          List.of(script.toString(), "inner", "x", root + "/missing", root.toString());

      ExecResult plain = Commands.run(inner, Map.of(), Duration.ofSeconds(20));
      assertThat(plain.exitCode()).isEqualTo(70);
      assertThat(plain.stderr()).contains("REFUSING").contains("not PID 1");

      ExecResult notLaunched = runLoud(prefixed(List.of("unshare", "--pid", "--fork"), inner));
      assertThat(notLaunched.exitCode()).isEqualTo(70);
      assertThat(notLaunched.stderr()).contains("REFUSING").contains("not started by host-init");

      // As if launched from here: PID 1 of its own PID namespace, but in this mount namespace.
      List<String> asLaunched = new ArrayList<>(List.of("env", "HOST_INIT_LAUNCH_MNT=" + ownMnt()));
      ExecResult pidOnly =
          runLoud(prefixed(asLaunched, prefixed(List.of("unshare", "--pid", "--fork"), inner)));
      assertThat(pidOnly.exitCode()).isEqualTo(70);
      assertThat(pidOnly.stderr())
          .contains("REFUSING")
          .contains("in the mount namespace it was launched from");

      ExecResult shared =
          runLoud(
              prefixed(
                  asLaunched,
                  prefixed(
                      List.of("unshare", "--pid", "--fork", "--mount", "--propagation", "shared"),
                      inner)));
      assertThat(shared.exitCode()).isEqualTo(70);
      assertThat(shared.stderr()).contains("REFUSING").contains("not private");

      ExecResult privateButNoHost =
          runLoud(
              prefixed(
                  asLaunched,
                  prefixed(
                      List.of("unshare", "--pid", "--fork", "--mount", "--propagation", "private"),
                      inner)));
      assertThat(privateButNoHost.exitCode()).isEqualTo(70);
      assertThat(privateButNoHost.stderr())
          .as("all safety checks passed; then the missing folder stops it")
          .contains("not a prepared test host folder");
      assertCanariesAlive("after host-init refused");
    } finally {
      TestHosts.deleteRecursively(root);
    }
  }

  private static String ownMnt() throws IOException {
    return Files.readSymbolicLink(Path.of("/proc/self/ns/mnt")).toString();
  }

  private static ExecResult runLoud(List<String> argv) {
    return Commands.run(argv, Map.of(), Duration.ofSeconds(20));
  }

  /** The host-init launcher of the host in {@code hostDir}, a child of this JVM. */
  private static ProcessHandle awaitLauncher(Path hostDir) {
    Instant deadline = Instant.now().plusSeconds(10);
    while (Instant.now().isBefore(deadline)) {
      Optional<ProcessHandle> launcher =
          ProcessHandle.current()
              .children()
              .filter(
                  p ->
                      p.info()
                          .arguments()
                          .map(List::of)
                          .orElse(List.of())
                          .contains(hostDir.toString()))
              .findFirst();
      if (launcher.isPresent()) {
        return launcher.get();
      }
      Thread.onSpinWait();
    }
    throw new AssertionError("no launcher for " + hostDir);
  }

  private static List<String> prefixed(List<String> prefix, List<String> argv) {
    List<String> all = new ArrayList<>(prefix);
    all.addAll(argv);
    return all;
  }

  private static void assertStopped(TestHost host) {
    assertThat(host.pid1()).isEmpty();
    assertThat(host.isRunning()).isFalse();
  }

  private void assertCanariesAlive(String when) throws IOException {
    for (Path canary : canaries) {
      assertThat(canary).as("%s: %s", when, canary).exists();
      assertThat(Files.readString(canary)).as("%s: %s", when, canary).isEqualTo(id);
    }
  }
}
