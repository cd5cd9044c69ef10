package io.microvmoperator.testenv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * A test host's real systemd (this machine's, Debian's 252) running as PID 1 of the host's own PID,
 * mount, UTS, IPC and cgroup namespaces, on a private overlay root, started by {@code
 * testenv/host-init} (which refuses to start unless its root is private; see that script). The
 * network namespace is this machine's: the host's sshd listens on its loopback address directly.
 *
 * <p>Only processes this class started are signalled, by their pid: the launcher ({@code unshare})
 * and the host's PID 1. Stopping halts systemd as a container manager does ({@code SIGRTMIN+3}),
 * then kills PID 1 (and with it the whole PID namespace) if it is still alive, then removes the
 * host's cgroup.
 */
final class SystemdRoot {

  /** cgroup v2: {@code unified} on a hybrid machine (as here), else {@code /sys/fs/cgroup}. */
  static final Path CGROUP_ROOT =
      Files.exists(Path.of("/sys/fs/cgroup/unified/cgroup.procs"))
          ? Path.of("/sys/fs/cgroup/unified")
          : Path.of("/sys/fs/cgroup");

  private static final Duration BOOT_TIMEOUT = Duration.ofSeconds(20);
  private static final Duration HALT_GRACE = Duration.ofSeconds(8);

  private final String name;
  private final Path cgroup;
  private final Process launcher;
  private final ProcessHandle pid1;
  private final Path pidNamespace;

  private SystemdRoot(
      String name, Path cgroup, Process launcher, ProcessHandle pid1, Path pidNamespace) {
    this.name = name;
    this.cgroup = cgroup;
    this.launcher = launcher;
    this.pid1 = pid1;
    this.pidNamespace = pidNamespace;
  }

  /**
   * Boots a host: {@code script} is host-init, {@code hostDir} holds the host's folders (nix/,
   * microvms/, etc-nix/, home/, units/, polkit/, log/) inside {@code runRoot}. Returns once the
   * host's systemd finished starting up.
   */
  /** This host's cgroup, as this machine sees it. */
  Path cgroup() {
    return cgroup;
  }

  static SystemdRoot boot(String name, Path script, Path hostDir, Path runRoot) {
    String cgroupName = "microvm-testhost-" + runRoot.getFileName() + "-" + name;
    Path cgroup = CGROUP_ROOT.resolve(cgroupName);
    Path log = hostDir.resolve("log/host-init.log");
    Process launcher;
    try {
      launcher =
          new ProcessBuilder(
                  script.toString(),
                  "launch",
                  name,
                  hostDir.toString(),
                  runRoot.toString(),
                  cgroupName)
              .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .redirectError(ProcessBuilder.Redirect.appendTo(log.toFile()))
              .start();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Instant deadline = Instant.now().plus(BOOT_TIMEOUT);
    ProcessHandle pid1 = null;
    while (pid1 == null) {
      // The launcher's own helpers (mkdir) are its children too until it becomes unshare.
      if (commandLine(launcher.pid()).startsWith("unshare ")) {
        pid1 = launcher.children().findFirst().orElse(null);
      }
      if (pid1 == null) {
        if (!launcher.isAlive() || Instant.now().isAfter(deadline)) {
          launcher.destroyForcibly();
          removeCgroup(cgroup);
          throw new IllegalStateException(name + ": host-init failed:\n" + read(log));
        }
        Sleep.millis(10);
      }
    }
    Path namespace = null;
    while (namespace == null || namespace.equals(namespaceOf(ProcessHandle.current().pid()))) {
      namespace = namespaceOf(pid1.pid());
      if (!pid1.isAlive() || Instant.now().isAfter(deadline)) {
        break;
      }
      Sleep.millis(10);
    }
    SystemdRoot root = new SystemdRoot(name, cgroup, launcher, pid1, namespace);
    while (true) {
      if (!pid1.isAlive()) {
        root.halt();
        throw new IllegalStateException(name + ": host-init or systemd ended:\n" + read(log));
      }
      if (commandLine(pid1.pid()).startsWith("/lib/systemd/systemd")) {
        ExecResult state =
            Commands.run(
                root.enter(List.of("/bin/systemctl", "is-system-running", "--wait")),
                Map.of(),
                Duration.ofSeconds(30));
        String answer = state.stdout().trim();
        if (answer.equals("running") || answer.equals("degraded")) {
          return root;
        }
        // "offline": its bus does not listen yet.
        if (!List.of("", "offline", "starting", "initializing").contains(answer)) {
          root.halt();
          throw new IllegalStateException(
              name + ": systemd is " + answer + ":\n" + state.stderr() + read(log));
        }
      }
      if (Instant.now().isAfter(deadline)) {
        root.halt();
        throw new IllegalStateException(name + ": systemd did not start:\n" + read(log));
      }
      Sleep.millis(20);
    }
  }

  /** The host's PID 1 as this machine sees it. */
  long pid1() {
    return pid1.pid();
  }

  /** The launcher ({@code unshare}), this machine's view. */
  long launcherPid() {
    return launcher.pid();
  }

  boolean isAlive() {
    return pid1.isAlive();
  }

  /** argv that runs {@code argv} inside the host: its namespaces, root and working directory. */
  List<String> enter(List<String> argv) {
    List<String> wrapped = new ArrayList<>();
    wrapped.addAll(
        List.of(
            "nsenter", "-t", String.valueOf(pid1.pid()), "-m", "-u", "-i", "-p", "-C", "-r", "-w"));
    wrapped.addAll(argv);
    return wrapped;
  }

  /** Runs {@code /bin/systemctl ARGS} inside the host (not through the logging wrapper). */
  ExecResult systemctl(String... args) {
    List<String> argv = new ArrayList<>(List.of("/bin/systemctl"));
    argv.addAll(List.of(args));
    return Commands.run(enter(argv), Map.of(), Duration.ofSeconds(60));
  }

  /** Whether {@code pid} (this machine's view) runs in the host's PID namespace. */
  boolean contains(long pid) {
    return pidNamespace != null && pidNamespace.equals(namespaceOf(pid));
  }

  /** This machine's pid of the host's process {@code innerPid} (as the host's systemd names it). */
  OptionalLong outerPid(long innerPid) {
    if (innerPid <= 0) {
      return OptionalLong.empty();
    }
    try (Stream<ProcessHandle> all = ProcessHandle.allProcesses()) {
      return all.filter(p -> contains(p.pid()))
          .filter(p -> innerPid(p.pid()).equals(Optional.of(innerPid)))
          .mapToLong(ProcessHandle::pid)
          .findFirst();
    }
  }

  /** The last pid of the NSpid line of /proc/PID/status: the pid in its innermost namespace. */
  static Optional<Long> innerPid(long pid) {
    try {
      for (String line : Files.readAllLines(Path.of("/proc/" + pid + "/status"))) {
        if (line.startsWith("NSpid:")) {
          String[] fields = line.substring(6).trim().split("\\s+");
          return Optional.of(Long.parseLong(fields[fields.length - 1]));
        }
      }
    } catch (IOException | RuntimeException e) {
      return Optional.empty();
    }
    return Optional.empty();
  }

  /**
   * Halts the host as a container manager does: {@code SIGRTMIN+3} to PID 1 (systemd stops every
   * unit, guests shut down gracefully), {@code SIGKILL} to PID 1 after a few seconds if it is still
   * alive (which ends every process of its PID namespace), then the host's cgroup goes.
   */
  synchronized void halt() {
    if (pid1.isAlive()) {
      Commands.run(
          List.of("/bin/kill", "-s", "RTMIN+3", String.valueOf(pid1.pid())),
          Map.of(),
          Duration.ofSeconds(10));
      try {
        pid1.onExit().get(HALT_GRACE.toMillis(), TimeUnit.MILLISECONDS);
      } catch (Exception timedOut) {
        pid1.destroyForcibly();
      }
    }
    kill();
  }

  /** Kills PID 1 (and so the whole host) and the launcher at once, then removes the cgroup. */
  synchronized void kill() {
    pid1.destroyForcibly();
    try {
      pid1.onExit().get(10, TimeUnit.SECONDS);
      if (!launcher.waitFor(10, TimeUnit.SECONDS)) {
        launcher.destroyForcibly().waitFor(5, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (Exception e) {
      throw new IllegalStateException(name + ": PID 1 " + pid1.pid() + " did not end", e);
    }
    removeCgroup(cgroup);
  }

  /** Removes the host's cgroup tree (deepest first), waiting briefly for its last processes. */
  static void removeCgroup(Path cgroup) {
    Instant deadline = Instant.now().plusSeconds(10);
    while (Files.exists(cgroup)) {
      try (Stream<Path> tree = Files.walk(cgroup)) {
        for (Path dir :
            tree.filter(Files::isDirectory).sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(dir);
        }
      } catch (IOException | UncheckedIOException busy) {
        if (Instant.now().isAfter(deadline)) {
          throw new IllegalStateException("cannot remove cgroup " + cgroup, busy);
        }
        Sleep.millis(50);
      }
    }
  }

  static Path namespaceOf(long pid) {
    try {
      return Files.readSymbolicLink(Path.of("/proc/" + pid + "/ns/pid"));
    } catch (IOException e) {
      return null;
    }
  }

  private static String commandLine(long pid) {
    try {
      return Files.readString(Path.of("/proc/" + pid + "/cmdline")).replace('\0', ' ');
    } catch (IOException e) {
      return "";
    }
  }

  private static String read(Path log) {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      return "(no log: " + e + ")";
    }
  }
}
