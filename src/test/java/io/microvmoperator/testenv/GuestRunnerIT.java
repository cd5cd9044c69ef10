package io.microvmoperator.testenv;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.File;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Real guests from {@link TestFlake#guest} and its variants, built with real Nix into a store of
 * their own ({@link NixNamespace}) and run as MicroVM.nix's unit would run them: {@code
 * current/bin/microvm-run} in the VM folder, {@code NOTIFY_SOCKET} set for {@code Type=notify}
 * (here a Unix datagram socket this test listens on with Perl, not systemd). No systemd and no SSH:
 * these check the runners themselves. Also the runner layout (share/microvm/system and the flake's
 * toplevel, what {@code microvm -l} compares) and the light runner's microvm-shutdown.
 */
class GuestRunnerIT {

  private static final Duration DEADLINE = Duration.ofSeconds(90);

  private static Path root;
  private static NixNamespace host;
  private static TestFlake flake;

  /** Runners (each leads its own process group) and notify listeners this test started. */
  private final List<Process> runners = new ArrayList<>();

  private final List<Process> listeners = new ArrayList<>();

  @BeforeAll
  static void buildRunners() throws IOException {
    root = TestHosts.newRoot();
    host = NixNamespace.create(root.resolve("host"));
    flake =
        TestFlake.create(root.resolve("flake"))
            .guest("g1", "v1")
            .guestPanicsAtBoot("panics", "v1")
            .guestNeverReady("silent", "v1")
            .guestCrashesAfter("crashes", "v1", Duration.ofSeconds(4))
            .guest("many1", "v1")
            .guest("many2", "v1")
            .guest("many3", "v1")
            .guest("asuser", "v1")
            .runner("light", "l1")
            .crashingRunner("lightcrash", "c1");
    for (String name :
        List.of(
            "g1",
            "panics",
            "silent",
            "crashes",
            "many1",
            "many2",
            "many3",
            "asuser",
            "light",
            "lightcrash")) {
      Files.createDirectories(host.dir().resolve("microvms").resolve(name));
      long begin = System.nanoTime();
      host.exec(
              Duration.ofMinutes(3),
              List.of(
                  "nix",
                  "build",
                  "-L",
                  "-o",
                  "/var/lib/microvms/" + name + "/current",
                  flake.installable(name)))
          .orThrow("nix build " + name);
      System.out.printf(
          "[figures] nix build of runner %s: %.2f s%n", name, seconds(System.nanoTime() - begin));
    }
  }

  @AfterEach
  void endWhatThisTestStarted() throws InterruptedException {
    for (Process process : runners) {
      if (process.isAlive()) {
        // qemu and its console watcher: the group this runner leads (setsid).
        Commands.killGroup(process.pid(), "KILL");
      }
    }
    for (Process process : listeners) {
      process.destroyForcibly();
    }
    for (Process process : concat(runners, listeners)) {
      process.waitFor(10, TimeUnit.SECONDS);
      assertThat(process.isAlive()).as("process %d", process.pid()).isFalse();
    }
  }

  private static List<Process> concat(List<Process> a, List<Process> b) {
    List<Process> all = new ArrayList<>(a);
    all.addAll(b);
    return all;
  }

  @AfterAll
  static void removeEverything() {
    if (root != null) {
      TestHosts.deleteRecursively(root);
    }
  }

  @Test
  void aGuestReportsReadyAndPowersOffWhenShutDown() throws Exception {
    Listener notify = listen("g1");
    long begin = System.nanoTime();
    Runner g1 = run("g1", notify.socket());

    awaitTrue("READY=1 from g1", () -> notify.received().contains("READY=1"));
    double toReady = seconds(System.nanoTime() - begin);
    assertThat(g1.output()).contains(TestFlake.guestReadyLine("g1", "v1"));
    assertThat(g1.process().isAlive()).isTrue();
    assertThat(argv0(g1.process().pid())).isEqualTo("microvm@g1");
    assertThat(cmdline(g1.process().pid()))
        .contains("-accel", "tcg", "-no-reboot")
        .anyMatch(arg -> arg.matches(".*init=/nix/store/[a-z0-9]{32}-nixos-system-g1-v1/init.*"));
    assertThat(vmFolder("g1").resolve("g1.sock")).exists();
    assertThat(vmFolder("g1").resolve(".g1.console")).as("FIFO removed once open").doesNotExist();
    System.out.printf("[figures] guest g1 start to READY=1: %.2f s%n", toReady);
    System.out.printf(
        "[figures] guest g1 qemu resident memory once ready: %d MB%n",
        residentKilobytes(g1.process().pid()) / 1024);
    long ticksBefore = cpuTicks(g1.process().pid());
    long idleBegin = System.nanoTime();
    Thread.sleep(3000);
    double idleShare =
        (cpuTicks(g1.process().pid()) - ticksBefore)
            / 100.0
            / seconds(System.nanoTime() - idleBegin);
    System.out.printf("[figures] guest g1 idle: %.1f %% of one core%n", idleShare * 100);

    long shutdownBegin = System.nanoTime();
    ExecResult shutdown = inVmFolder("g1", "current/bin/microvm-shutdown", Duration.ofSeconds(60));
    assertThat(shutdown.exitCode()).as(shutdown.toString()).isZero();
    assertThat(g1.process().waitFor(30, TimeUnit.SECONDS)).as("qemu exits").isTrue();
    double toExit = seconds(System.nanoTime() - shutdownBegin);
    assertThat(g1.process().exitValue()).isZero();
    assertThat(g1.output()).contains("microvm-guest g1 v1 power button pressed, powering off");
    assertThat(notify.received()).containsOnlyOnce("READY=1");
    System.out.printf("[figures] guest g1 microvm-shutdown to qemu exit: %.2f s%n", toExit);
  }

  @Test
  void aGuestThatPanicsAtBootEndsWithoutReady() throws Exception {
    Listener notify = listen("panics");
    Runner panics = run("panics", notify.socket());

    assertThat(panics.process().waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS))
        .as("qemu exits by itself")
        .isTrue();
    assertThat(panics.output())
        .containsOnlyOnce("microvm-guest panics v1 panics at boot")
        .contains("Kernel panic")
        .doesNotContain(TestFlake.guestReadyLine("panics", "v1"));
    assertThat(notify.received()).doesNotContain("READY=1");
    System.out.printf("[figures] guest panics: qemu exit code %d%n", panics.process().exitValue());
  }

  @Test
  void aGuestThatNeverGetsReadySendsNoReady() throws Exception {
    Listener notify = listen("silent");
    long begin = System.nanoTime();
    Runner silent = run("silent", notify.socket());

    awaitTrue(
        "silent has booted",
        () -> silent.output().contains("microvm-guest silent v1 boots but never reports ready"));
    long waitedNanos = Duration.ofSeconds(20).toNanos() - (System.nanoTime() - begin);
    if (waitedNanos > 0) {
      Thread.sleep(waitedNanos / 1_000_000);
    }
    assertThat(silent.process().isAlive()).as("qemu runs").isTrue();
    assertThat(notify.received()).doesNotContain("READY=1");
    assertThat(silent.output()).doesNotContain(TestFlake.guestReadyLine("silent", "v1"));

    // Its power button still works.
    ExecResult shutdown =
        inVmFolder("silent", "current/bin/microvm-shutdown", Duration.ofSeconds(60));
    assertThat(shutdown.exitCode()).as(shutdown.toString()).isZero();
    assertThat(silent.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
  }

  @Test
  void aGuestThatCrashesEndsByItselfAndWithoutNotifySocketOnlyCopiesTheConsole() throws Exception {
    Runner crashes = run("crashes", null);

    awaitTrue(
        "crashes is ready",
        () -> crashes.output().contains(TestFlake.guestReadyLine("crashes", "v1")));
    long ready = System.nanoTime();
    awaitTrue(
        "crashes crashes",
        () -> crashes.output().contains("microvm-guest crashes v1 crashes after 4s"));
    long crashed = System.nanoTime();
    assertThat(crashes.process().waitFor(DEADLINE.toSeconds(), TimeUnit.SECONDS))
        .as("qemu exits by itself")
        .isTrue();
    long exited = System.nanoTime();
    assertThat(crashes.output())
        .contains("Kernel panic")
        .containsOnlyOnce("crashes after 4s")
        .doesNotContain("send to");
    System.out.printf(
        "[figures] guest crashes: ready to crash %.2f s (asked for 4 s), crash to qemu exit %.2f s,"
            + " exit code %d%n",
        seconds(crashed - ready), seconds(exited - crashed), crashes.process().exitValue());
  }

  @Test
  void severalGuestsBootAtOnce() throws Exception {
    List<String> names = List.of("many1", "many2", "many3");
    List<Listener> notifiers = new ArrayList<>();
    List<Runner> guests = new ArrayList<>();
    long begin = System.nanoTime();
    for (String name : names) {
      Listener notify = listen(name);
      notifiers.add(notify);
      guests.add(run(name, notify.socket()));
    }
    double[] readyAfter = new double[names.size()];
    awaitTrue(
        "READY=1 from " + names,
        () -> {
          boolean all = true;
          for (int i = 0; i < names.size(); i++) {
            if (readyAfter[i] == 0 && notifiers.get(i).received().contains("READY=1")) {
              readyAfter[i] = seconds(System.nanoTime() - begin);
            }
            all &= readyAfter[i] != 0;
          }
          return all;
        });
    List<String> times = new ArrayList<>();
    for (double t : readyAfter) {
      times.add(String.format("%.2f", t));
    }
    System.out.printf(
        "[figures] %d guests started at once, READY=1 after %s s%n",
        names.size(), String.join(", ", times));
    for (int i = 0; i < names.size(); i++) {
      ExecResult shutdown =
          inVmFolder(names.get(i), "current/bin/microvm-shutdown", Duration.ofSeconds(60));
      assertThat(shutdown.exitCode()).as(shutdown.toString()).isZero();
      assertThat(guests.get(i).process().waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(guests.get(i).process().exitValue()).isZero();
    }
  }

  @Test
  void aGuestRunnerChangesOnlyWithItsOwnConfigurationAlsoInGitMode() throws IOException {
    TestFlake git = TestFlake.createGit(root.resolve("git-flake")).guest("gg", "v1");
    String first = build(git.gitRef() + "#" + TestFlake.runnerAttribute("gg"), "gg-1");

    git.runner("other", "o1");
    assertThat(build(git.gitRef() + "#" + TestFlake.runnerAttribute("gg"), "gg-2"))
        .as("another VM's change leaves this runner as it was")
        .isEqualTo(first);

    git.guest("gg", "v2");
    String second = build(git.gitRef() + "#" + TestFlake.runnerAttribute("gg"), "gg-3");
    assertThat(second).isNotEqualTo(first).endsWith("-microvm-gg-v2");
    ExecResult eval =
        host.exec(
            Duration.ofMinutes(1),
            List.of(
                "nix", "eval", "--raw", git.gitRef() + "#" + TestFlake.toplevelAttribute("gg")));
    assertThat(eval.orThrow("nix eval").stdout())
        .isEqualTo(
            Files.readSymbolicLink(host.realPath(second + "/share/microvm/system")).toString())
        .endsWith("-nixos-system-gg-v2");
  }

  @Test
  void aGuestRunsReportsReadyAndShutsDownAsTheMicrovmUser() throws Exception {
    // As MicroVM.nix's unit runs it: User=microvm, in a VM folder the user may write.
    Path folder = vmFolder("asuser");
    Commands.run("chown", "microvm", folder.toString()).orThrow("chown");
    Listener notify = listen("asuser", host.dir().resolve("microvms"));
    Runner guest = run("asuser", Path.of("/var/lib/microvms/.notify-asuser.sock"), "microvm");

    awaitTrue("READY=1 from asuser", () -> notify.received().contains("READY=1"));
    assertThat(Files.readString(Path.of("/proc/" + guest.process().pid() + "/status")))
        .containsPattern("Uid:\\s+" + uid("microvm") + "\\s");
    ExecResult shutdown =
        inVmFolder("asuser", "current/bin/microvm-shutdown", Duration.ofSeconds(60), "microvm");
    assertThat(shutdown.exitCode()).as(shutdown.toString()).isZero();
    assertThat(guest.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(guest.process().exitValue()).isZero();
    assertThat(guest.output()).doesNotContain("send to /var/lib/microvms");
  }

  private static String uid(String user) {
    return Commands.run("id", "-u", user).orThrow("id -u").stdout().trim();
  }

  @Test
  void runnersAreLaidOutAsMicroVmNixRunners() throws IOException {
    for (String name : List.of("g1", "light")) {
      String version = name.equals("g1") ? "v1" : "l1";
      String runner = readlink("/var/lib/microvms/" + name + "/current");
      Path share = host.realPath(runner + "/share/microvm");
      assertThat(share.resolve("system")).isSymbolicLink();
      String system = Files.readSymbolicLink(share.resolve("system")).toString();
      assertThat(system).matches("/nix/store/[a-z0-9]{32}-nixos-system-" + name + "-" + version);
      assertThat(Files.readString(share.resolve("hypervisor"))).isEqualTo("qemu");
      assertThat(host.realPath(runner + "/bin/microvm-run")).isExecutable();
      assertThat(host.realPath(runner + "/bin/microvm-shutdown")).isExecutable();
      assertThat(Files.readString(host.realPath(system + "/nixos-version")).trim())
          .isEqualTo(version);
      assertThat(host.realPath(system + "/init")).isExecutable();

      // What microvm -l compares: the flake's toplevel and current/share/microvm/system.
      ExecResult eval =
          host.exec(
              Duration.ofMinutes(1),
              List.of("nix", "eval", "--raw", flake.toplevelInstallable(name)));
      assertThat(eval.orThrow("nix eval toplevel").stdout()).isEqualTo(system);
    }
  }

  @Test
  void microvmListSeesTheRunnersSystem() throws IOException {
    // testenv/microvm-list follows MicroVM.nix's microvm -l: it reads current/share/microvm/system
    // and evaluates the flake's toplevel.
    TestFlake listed = TestFlake.create(root.resolve("list-flake")).guest("lg", "v1");
    Path folder = Files.createDirectories(host.dir().resolve("microvms/listing/lg"));
    String runner = build(listed.installable("lg"), "listing/lg/current");
    Files.writeString(folder.resolve("flake"), listed.pathRef());

    assertThat(microvmList())
        .isEqualTo(
            "lg: current(nixos-system-lg-v1), not booted: systemctl start microvm@lg.service\n");

    Files.createSymbolicLink(folder.resolve("booted"), Path.of(runner));
    assertThat(microvmList()).isEqualTo("lg: current(nixos-system-lg-v1)\n");

    listed.guest("lg", "v2");
    assertThat(microvmList())
        .isEqualTo(
            "lg: outdated(nixos-system-lg-v1), rebuild(nixos-system-lg-v2) and reboot:"
                + " microvm -Ru lg\n");
  }

  private static String microvmList() {
    Path script = Path.of("target/test-classes/testenv/microvm-list").toAbsolutePath();
    return host.exec(
            Duration.ofMinutes(1),
            List.of(
                "env", "MICROVM_STATE_DIR=/var/lib/microvms/listing", "bash", script.toString()))
        .orThrow("microvm-list")
        .stdout();
  }

  @Test
  void theLightRunnerReportsReadyAndItsShutdownEndsItGracefully() throws Exception {
    Listener notify = listen("light");
    Runner light = run("light", notify.socket());
    awaitTrue("READY=1 from light", () -> notify.received().contains("READY=1"));
    assertThat(Files.readString(vmFolder("light").resolve("running-version")).trim())
        .isEqualTo("l1");
    assertThat(vmFolder("light").resolve("microvm-run.pid")).exists();

    ExecResult shutdown =
        inVmFolder("light", "current/bin/microvm-shutdown", Duration.ofSeconds(30));
    assertThat(shutdown.exitCode()).as(shutdown.toString()).isZero();
    assertThat(light.process().waitFor(10, TimeUnit.SECONDS)).isTrue();
    assertThat(light.process().exitValue()).isZero();
    assertThat(light.output()).contains("microvm-run light l1 started", "light l1 shut down");
    assertThat(vmFolder("light").resolve("microvm-run.pid")).doesNotExist();

    // Nothing to stop: still exit 0.
    assertThat(inVmFolder("light", "current/bin/microvm-shutdown", Duration.ofSeconds(30)).ok())
        .isTrue();
  }

  @Test
  void theCrashingLightRunnerNeverReportsReady() throws Exception {
    Listener notify = listen("lightcrash");
    Runner crash = run("lightcrash", notify.socket());
    assertThat(crash.process().waitFor(30, TimeUnit.SECONDS)).isTrue();
    assertThat(crash.process().exitValue()).isEqualTo(1);
    assertThat(crash.output()).contains("microvm-run lightcrash c1 crashed");
    assertThat(notify.received()).doesNotContain("READY=1");
  }

  @Test
  void everyRunnerSaysItSupportsTheNotifySocket() {
    for (String name : List.of("g1", "light")) {
      ExecResult eval =
          host.exec(
              Duration.ofMinutes(1),
              List.of(
                  "nix",
                  "eval",
                  "--json",
                  flake.pathRef() + "#" + TestFlake.supportsNotifySocketAttribute(name)));
      assertThat(eval.orThrow("nix eval").stdout().trim()).isEqualTo("true");
    }
  }

  // ---- helpers --------------------------------------------------------------------------------

  private record Runner(Process process, Path log) {
    String output() {
      try {
        return Files.readString(log);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  private record Listener(Process process, Path socket, Path log) {
    String received() {
      try {
        return Files.readString(log);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }

  /**
   * Runs NAME's current/bin/microvm-run in its VM folder inside the host's namespace, in a session
   * of its own (so its process group can be ended by its pid), output to a log file.
   */
  private Runner run(String name, Path notifySocket) throws IOException {
    return run(name, notifySocket, "root");
  }

  /** As {@link #run(String, Path)}, as {@code user} (with that user's groups). */
  private Runner run(String name, Path notifySocket, String user) throws IOException {
    List<String> argv = new ArrayList<>(List.of("setsid"));
    argv.addAll(
        host.wrap(
            List.of(
                "/bin/sh", "-c", IN_VM_FOLDER_AS, "sh", name, user, "current/bin/microvm-run")));
    Path log = root.resolve(name + ".log");
    ProcessBuilder builder =
        new ProcessBuilder(argv)
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(log.toFile())
            .redirectErrorStream(true);
    Map<String, String> env = new LinkedHashMap<>(host.environment());
    builder.environment().remove("NOTIFY_SOCKET");
    if (notifySocket != null) {
      env.put("NOTIFY_SOCKET", notifySocket.toString());
    }
    builder.environment().putAll(env);
    Process process = builder.start();
    runners.add(process);
    return new Runner(process, log);
  }

  /** A Unix datagram socket that logs every message it receives, as systemd's notify socket. */
  private Listener listen(String name) throws IOException, InterruptedException {
    return listen(name, Files.createDirectories(root.resolve("notify")));
  }

  /** A listener whose socket is in {@code dir}, writable by every user (as systemd's is). */
  private Listener listen(String name, Path dir) throws IOException, InterruptedException {
    Path socket = dir.resolve(".notify-" + name + ".sock");
    Path log = root.resolve("notify-" + name + ".log");
    String perl =
        "use IO::Socket::UNIX; $| = 1;"
            + " my $s = IO::Socket::UNIX->new(Type => SOCK_DGRAM(), Local => $ARGV[0])"
            + " or die \"listen $ARGV[0]: $!\\n\";"
            + " while (defined $s->recv(my $m, 65536)) { print \"$m\\n\"; }";
    Process process =
        new ProcessBuilder("perl", "-e", perl, socket.toString())
            .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
            .redirectOutput(log.toFile())
            .redirectErrorStream(true)
            .start();
    listeners.add(process);
    awaitTrue("notify socket " + socket, () -> Files.exists(socket) || !process.isAlive());
    assertThat(process.isAlive()).as("listener on %s", socket).isTrue();
    Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-rw-rw-"));
    return new Listener(process, socket, log);
  }

  private ExecResult inVmFolder(String name, String command, Duration timeout) {
    return inVmFolder(name, command, timeout, "root");
  }

  private ExecResult inVmFolder(String name, String command, Duration timeout, String user) {
    return host.exec(timeout, List.of("/bin/sh", "-c", IN_VM_FOLDER_AS, "sh", name, user, command));
  }

  /** Runs $3 in VM $1's folder as user $2, as the unit's User= would. */
  private static final String IN_VM_FOLDER_AS =
      "cd \"/var/lib/microvms/$1\" && u=$2 && shift 2 && if [ \"$u\" = root ]; then exec \"$@\";"
          + " else exec setpriv --reuid=\"$u\" --regid=\"$(id -g \"$u\")\" --init-groups \"$@\"; fi";

  /** Builds an installable in the host's store; its output path. */
  private static String build(String installable, String link) {
    host.exec(
            Duration.ofMinutes(3),
            List.of("nix", "build", "-o", "/var/lib/microvms/" + link, installable))
        .orThrow("nix build " + installable);
    try {
      return Files.readSymbolicLink(host.dir().resolve("microvms").resolve(link)).toString();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path vmFolder(String name) {
    return host.dir().resolve("microvms").resolve(name);
  }

  private static String readlink(String inside) throws IOException {
    return Files.readSymbolicLink(host.realPath(inside)).toString();
  }

  private static List<String> cmdline(long pid) throws IOException {
    String raw = Files.readString(Path.of("/proc/" + pid + "/cmdline"));
    return List.of(raw.split("\0"));
  }

  /** User and system time of a process in clock ticks (USER_HZ, 100 on Linux). */
  private static long cpuTicks(long pid) throws IOException {
    String stat = Files.readString(Path.of("/proc/" + pid + "/stat"));
    String[] fields = stat.substring(stat.lastIndexOf(") ") + 2).split(" ");
    return Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
  }

  private static long residentKilobytes(long pid) throws IOException {
    return Files.readAllLines(Path.of("/proc/" + pid + "/status")).stream()
        .filter(line -> line.startsWith("VmRSS:"))
        .map(line -> Long.parseLong(line.replaceAll("[^0-9]", "")))
        .findFirst()
        .orElse(-1L);
  }

  private static String argv0(long pid) throws IOException {
    return cmdline(pid).get(0);
  }

  private static void awaitTrue(String what, BooleanSupplier condition)
      throws InterruptedException {
    long end = System.nanoTime() + DEADLINE.toNanos();
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > end) {
        throw new AssertionError("not within " + DEADLINE + ": " + what);
      }
      Thread.sleep(50);
    }
  }

  private static double seconds(long nanos) {
    return nanos / 1e9;
  }
}
