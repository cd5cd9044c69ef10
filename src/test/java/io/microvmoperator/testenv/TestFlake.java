package io.microvmoperator.testenv;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a test flake without inputs (no nixpkgs) whose {@code
 * nixosConfigurations.NAME.config.microvm.declaredRunner} builds in a fraction of a second, and
 * whose {@code nixosConfigurations.NAME.config.system.build.toplevel} is the runner's system (what
 * {@code microvm -l} evaluates). Each configuration is one variant: a runner of a given version, an
 * evaluation error, a build failure, a slow build, or a real guest.
 *
 * <p>Every runner is laid out as MicroVM.nix's: {@code bin/microvm-run}, {@code
 * bin/microvm-shutdown}, {@code share/microvm/system} (a symlink to the toplevel, a store path
 * {@code nixos-system-NAME-VERSION} holding {@code nixos-version} and {@code init}) and {@code
 * share/microvm/hypervisor} ({@code qemu}). Two kinds of runner:
 *
 * <ul>
 *   <li>the light process runner ({@link #runner}, {@link #crashingRunner}, {@link #slowBuild}):
 *       its microvm-run prints {@code microvm-run NAME VERSION started}, writes VERSION to {@code
 *       running-version} and its pid to {@code microvm-run.pid} in its working directory, reports
 *       READY=1 at once when {@code NOTIFY_SOCKET} is set (the crashing runner never does), then
 *       sleeps until stopped; microvm-shutdown ends it gracefully (exit 0) through that pid;
 *   <li>a real guest ({@link #guest} and its variants) booted by qemu under TCG from the {@link
 *       GuestKit}; the kernel and initramfs (16 MB) are copied into the flake's {@code guest/}
 *       folder once and reach the store as their own paths, so a guest's runner changes only with
 *       its own configuration. Every revision of such a flake copies them into a host's store once
 *       more as part of the flake's source.
 * </ul>
 *
 * <p>{@code Type=notify}: every runner carries {@code supportsNotifySocket = true} (as
 * MicroVM.nix's runners carry whether theirs does; see {@link #supportsNotifySocketAttribute}).
 * READY=1 comes from a child of the unit's main process (a Perl sender that lingers a second, so
 * that systemd still finds its unit by its pid), so such a unit needs {@code NotifyAccess=all}.
 * Without {@code NOTIFY_SOCKET} (Type=simple) nothing is sent. A light runner ends with exit 0 on
 * SIGTERM as well (a stopped qemu does too; systemd counts 143 as a failure).
 *
 * <p>In git mode every change is committed to the current branch ({@link #onBranch}); use {@link
 * #gitRef} flakerefs. Write flakes outside the hosts' overlaid paths (e.g. under {@link
 * TestHosts#root}) so that every host sees them.
 */
public final class TestFlake {

  /** The line a failing build prints, followed by the message given to {@link #buildFailure}. */
  public static final String BUILD_FAILURE_MARKER = "TESTFLAKE-BUILD-FAILURE:";

  private static final String LOCK =
      "{\n  \"nodes\": {\n    \"root\": {}\n  },\n  \"root\": \"root\",\n  \"version\": 7\n}\n";

  private final Path dir;
  private final boolean git;
  private final Map<String, Configuration> configurations = new LinkedHashMap<>();
  private boolean guestFiles;
  private boolean sshGuestFiles;
  private int sharedEvaluation;
  private String branch = "main";

  private TestFlake(Path dir, boolean git) {
    this.dir = dir;
    this.git = git;
  }

  /**
   * Makes every configuration's runner sum a list of {@code length} numbers first, once per Nix
   * evaluation however many runners it evaluates (a thunk they share), as real NixOS configurations
   * share nixpkgs and the module system; the runners' derivations do not change. 0: nothing shared.
   */
  public TestFlake sharedEvaluation(int length) {
    sharedEvaluation = length;
    write("shared evaluation " + length);
    return this;
  }

  /** A plain folder flake; use {@link #pathRef}. */
  public static TestFlake create(Path dir) {
    TestFlake flake = new TestFlake(dir, false);
    flake.write("empty flake");
    return flake;
  }

  /** A flake that is a git repository with branch {@code main}. */
  public static TestFlake createGit(Path dir) {
    TestFlake flake = new TestFlake(dir, true);
    try {
      Files.createDirectories(dir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    flake.git("init", "-q", "-b", "main");
    flake.write("empty flake");
    return flake;
  }

  // ---- variants (each call rewrites the flake, and commits in git mode) ------------------------

  /** A light process runner that reports {@code version}; a new version is a new store path. */
  public TestFlake runner(String name, String version) {
    return set(name, version, lightRunner(name, version, "", ""), "runner " + name + " " + version);
  }

  /**
   * A runner of {@code version} that starts, then fails after a second: its microvm-run prints that
   * it started and exits 1, as a VM whose guest does not boot.
   */
  public TestFlake crashingRunner(String name, String version) {
    return crashingRunner(name, version, Duration.ofSeconds(1));
  }

  /** A runner of {@code version} that starts, then fails after {@code runsFor}. */
  public TestFlake crashingRunner(String name, String version, Duration runsFor) {
    return set(
        name,
        version,
        lightRunner(name, version, "", String.valueOf(runsFor.toMillis() / 1000.0)),
        "crashing runner " + name + " " + version);
  }

  /**
   * An attribute that builds but is not a runner: its output has {@code share/microvm/system} (a
   * link to the toplevel) and no {@code bin/microvm-run} (a wrong attribute, a package that is not
   * a runner).
   */
  public TestFlake notARunner(String name, String version) {
    String build =
        String.join(
            "\n",
            "/bin/mkdir -p \"$out/share/microvm\"",
            "/bin/ln -s \"$toplevel\" \"$out/share/microvm/system\"",
            "");
    return set(
        name,
        version,
        derivation(
            "microvm-" + name + "-" + storeName(version),
            build,
            Map.of(),
            Map.of("toplevel", "toplevel")),
        "not a runner " + name);
  }

  /** Evaluating the runner (and the toplevel) fails with {@code throw message}. */
  public TestFlake evalError(String name, String message) {
    String error = "throw " + nixString(message);
    checkName(name);
    configurations.put(name, new Configuration(error, error));
    write("eval error " + name);
    return this;
  }

  /** Building the runner fails: it prints {@link #BUILD_FAILURE_MARKER} message, exits 1. */
  public TestFlake buildFailure(String name, String message) {
    String script =
        "echo " + Commands.shellQuote(BUILD_FAILURE_MARKER + " " + message) + " >&2; exit 1";
    return set(
        name,
        "failed",
        derivation("microvm-" + name + "-failed", script, Map.of(), Map.of("toplevel", "toplevel")),
        "build failure " + name);
  }

  /** A light runner of {@code version} whose build first sleeps {@code seconds}. */
  public TestFlake slowBuild(String name, String version, int seconds) {
    return set(
        name,
        version,
        lightRunner(name, version, "/bin/sleep " + seconds + "\n", ""),
        "slow build " + name + " " + version);
  }

  /**
   * A real guest: its microvm-run boots Debian's kernel and a busybox initramfs in qemu under TCG
   * (see {@link GuestKit}); the guest prints {@link #guestReadyLine} on its serial console, and
   * microvm-run then reports READY=1 when NOTIFY_SOCKET is set (for a unit of {@code Type=notify}
   * with {@code NotifyAccess=all}). Its microvm-shutdown presses the ACPI power button over QMP and
   * waits until qemu has exited (exit 0). qemu exits 0 however the guest ends, a panic included (a
   * guest's reset under {@code -no-reboot}), as MicroVM.nix's qemu runners do: a unit sees a
   * crashed guest as a main process that ended, not as a failure exit.
   */
  public TestFlake guest(String name, String version) {
    return setGuest(name, version, "ready", 0, "guest " + name + " " + version);
  }

  /** A guest whose init exits at once: the kernel panics and qemu exits by itself, never ready. */
  public TestFlake guestPanicsAtBoot(String name, String version) {
    return setGuest(name, version, "panic", 0, "guest panicking " + name + " " + version);
  }

  /** A guest that boots and runs but never prints its ready line (no READY=1). */
  public TestFlake guestNeverReady(String name, String version) {
    return setGuest(name, version, "never-ready", 0, "guest never ready " + name + " " + version);
  }

  /**
   * A guest that becomes ready, then crashes {@code after} (whole seconds, at least 1) without
   * being asked: its init exits, the kernel panics and qemu exits.
   */
  public TestFlake guestCrashesAfter(String name, String version, Duration after) {
    long seconds = Math.max(1, after.toSeconds());
    return setGuest(name, version, "crash", seconds, "guest crashing " + name + " " + version);
  }

  /**
   * A guest that becomes ready and powers off only {@code stopTakes} (whole seconds) after its
   * power button is pressed: {@code microvm-shutdown} and so {@code systemctl stop} take that long.
   */
  public TestFlake guestStopsSlowly(String name, String version, Duration stopTakes) {
    long seconds = Math.max(1, stopTakes.toSeconds());
    return setGuest(
        name, version, "slow-stop", seconds, "guest slow to stop " + name + " " + version);
  }

  /**
   * A real guest that runs an SSH server and mounts the host's store, as a MicroVM.nix guest with
   * {@code services.openssh}, a virtiofs share of {@code /nix/store}, qemu's user network with a
   * forwarded port, and {@code system.switch.enable}. Its runner adds {@code bin/virtiofsd-run}
   * (run as root by the host's {@code microvm-virtiofsd@NAME}); its system (the toplevel) holds
   * {@code etc/hostname} (NAME), {@code etc/ssh/} (the guest's host key and the keys authorised for
   * root) and {@code bin/switch-to-configuration}, which appends {@code ACTION SYSTEM} to the
   * guest's {@code /run/switch-to-configuration.log} and points {@code /run/current-system} at
   * SYSTEM (with {@link GuestSsh#failingActivation}, then exits 4 as NixOS's does when a unit
   * failed). The guest is reached on {@code 127.0.0.1:PORT} of the host.
   */
  public TestFlake sshGuest(String name, String version, GuestSsh ssh) {
    return setGuest(name, version, new GuestOptions("ready", 0, ssh), "ssh guest " + name);
  }

  /**
   * The SSH side of {@link #sshGuest}: the host port forwarded to the guest's port 22, the guest's
   * host key (an ed25519 private key file; its content goes into the store, as test data), the
   * public key line authorised for root, whether the system's activation fails, and the guest's
   * memory (MiB; a change of it changes the runner, not the system).
   */
  public record GuestSsh(
      int port, SshKeyPair hostKey, String authorizedKey, boolean failingActivation, int memory) {

    public GuestSsh(int port, SshKeyPair hostKey, String authorizedKey) {
      this(port, hostKey, authorizedKey, false, 512);
    }

    public GuestSsh withFailingActivation() {
      return new GuestSsh(port, hostKey, authorizedKey, true, memory);
    }

    public GuestSsh withMemory(int mebibytes) {
      return new GuestSsh(port, hostKey, authorizedKey, failingActivation, mebibytes);
    }
  }

  public TestFlake remove(String name) {
    configurations.remove(name);
    write("remove " + name);
    return this;
  }

  /**
   * Git mode: switches to {@code branch} (created from the current commit if new). The next change
   * commits this object's whole set of configurations there, whatever the branch held.
   */
  public TestFlake onBranch(String branch) {
    requireGit();
    if (git("rev-parse", "--verify", "--quiet", "refs/heads/" + branch).ok()) {
      git("checkout", "-q", branch).orThrow("git checkout");
    } else {
      git("checkout", "-q", "-b", branch).orThrow("git checkout -b");
    }
    this.branch = branch;
    return this;
  }

  // ---- references -----------------------------------------------------------------------------

  public Path dir() {
    return dir;
  }

  /** {@code path:/DIR}. */
  public String pathRef() {
    return "path:" + dir;
  }

  /** {@code git+file:///DIR?ref=BRANCH} for the current branch. */
  public String gitRef() {
    return gitRef(branch);
  }

  public String gitRef(String branch) {
    requireGit();
    return "git+file://" + dir + "?ref=" + branch;
  }

  /** The head commit of {@code branch}. */
  public String revision(String branch) {
    requireGit();
    return git("rev-parse", "refs/heads/" + branch).stdout().trim();
  }

  /** {@code nixosConfigurations.NAME.config.microvm.declaredRunner}. */
  public static String runnerAttribute(String name) {
    return "nixosConfigurations." + name + ".config.microvm.declaredRunner";
  }

  /** {@code path:/DIR#nixosConfigurations.NAME.config.microvm.declaredRunner}. */
  public String installable(String name) {
    return pathRef() + "#" + runnerAttribute(name);
  }

  /**
   * {@code nixosConfigurations.NAME.config.microvm.declaredRunner.supportsNotifySocket}: whether
   * the runner reports READY=1 on NOTIFY_SOCKET (true for every runner here).
   */
  public static String supportsNotifySocketAttribute(String name) {
    return runnerAttribute(name) + ".supportsNotifySocket";
  }

  /**
   * {@code nixosConfigurations.NAME.config.system.build.toplevel}, what {@code microvm -l} reads.
   */
  public static String toplevelAttribute(String name) {
    return "nixosConfigurations." + name + ".config.system.build.toplevel";
  }

  /** {@code path:/DIR#nixosConfigurations.NAME.config.system.build.toplevel}. */
  public String toplevelInstallable(String name) {
    return pathRef() + "#" + toplevelAttribute(name);
  }

  /** The line a guest of this name and version prints on its console once it has booted. */
  public static String guestReadyLine(String name, String version) {
    return "microvm-guest " + name + " " + version + " ready";
  }

  // ---- internals ------------------------------------------------------------------------------

  /** One nixosConfigurations entry: the toplevel and the runner, Nix expressions. */
  private record Configuration(String toplevel, String runner) {}

  private static void checkName(String name) {
    if (!name.matches("[A-Za-z0-9_][A-Za-z0-9_-]*")) {
      throw new IllegalArgumentException("not a usable VM name: " + name);
    }
  }

  /** Sets a configuration whose runner expression may use {@code toplevel}. */
  private TestFlake set(String name, String version, String runner, String message) {
    checkName(name);
    return set(name, new Configuration(lightSystem(name, version), runner), message);
  }

  /** Sets a configuration: its toplevel and its runner, Nix expressions. */
  private TestFlake set(String name, Configuration configuration, String message) {
    configurations.put(name, configuration);
    write(message);
    return this;
  }

  /** A system (toplevel) with nixos-version and init only. */
  private static String lightSystem(String name, String version) {
    return derivation(
        "nixos-system-" + name + "-" + storeName(version),
        String.join(
            "\n",
            "/bin/mkdir -p \"$out\"",
            "printf '%s\\n' \"$version\" > \"$out/nixos-version\"",
            "printf '%s' \"$initScript\" > \"$out/init\"",
            "/bin/chmod 755 \"$out/init\"",
            ""),
        Map.of(
            "version",
            version,
            "initScript",
            "#!/bin/sh\necho "
                + Commands.shellQuote("nixos-system " + name + " " + version + " init")
                + "\n"),
        Map.of());
  }

  private TestFlake setGuest(
      String name, String version, String mode, long crashAfterSeconds, String message) {
    return setGuest(name, version, new GuestOptions(mode, crashAfterSeconds, null), message);
  }

  /** How a guest boots: its init's mode, the crash delay, and its SSH side (null: none). */
  private record GuestOptions(String mode, long crashAfterSeconds, GuestSsh ssh) {}

  private TestFlake setGuest(String name, String version, GuestOptions options, String message) {
    checkName(name);
    if (!version.matches("[A-Za-z0-9._+-]+")) {
      // It goes onto the kernel command line and into the ready line.
      throw new IllegalArgumentException("not a usable guest version: " + version);
    }
    addGuestFiles(options.ssh() != null);
    GuestSsh ssh = options.ssh();
    String head = guestHead(name, version, options);
    String build =
        String.join(
            "\n",
            "/bin/mkdir -p \"$out/bin\" \"$out/share/microvm\"",
            "{",
            "  printf '%s\\n%s\\n' \"$runShebang\" \"$runHead\"",
            "  printf 'GUEST_KERNEL=%s\\nGUEST_INITRD=%s\\nGUEST_TOPLEVEL=%s\\n' \\",
            "    \"$guestKernel\" \"$guestInitrd\" \"$toplevel\"",
            "  printf '%s' \"$runBody\"",
            "} > \"$out/bin/microvm-run\"",
            "printf '%s\\n%s\\n%s' \"$shutdownShebang\" \"$shutdownHead\" \"$shutdownBody\" \\",
            "  > \"$out/bin/microvm-shutdown\"",
            ssh == null ? "" : VIRTIOFSD_RUN,
            SHARE_MICROVM,
            "");
    Map<String, String> env = new LinkedHashMap<>();
    putScript(env, "run", "guest/microvm-run", head);
    String nameHead = "MICROVM_NAME=" + Commands.shellQuote(name);
    putScript(env, "shutdown", "guest/microvm-shutdown", nameHead);
    if (ssh != null) {
      putScript(env, "virtiofsd", "guest/virtiofsd-run", nameHead);
    }
    Map<String, String> raw =
        Map.of(
            "toplevel",
            "toplevel",
            "guestKernel",
            "guestKernel",
            "guestInitrd",
            ssh == null ? "guestInitrd" : "guestSshInitrd",
            "supportsNotifySocket",
            "true");
    String runner = derivation("microvm-" + name + "-" + storeName(version), build, env, raw);
    return ssh == null
        ? set(name, version, runner, message)
        : set(name, new Configuration(sshSystem(name, version, ssh), runner), message);
  }

  /**
   * The guest's host key and root's authorised key into the flake's guest/ssh-NAME/ folder, which
   * reaches the store as the guest's system's etc/ssh/ (test data: a real guest makes its host key
   * at first boot).
   */
  private void writeGuestKeys(String name, GuestSsh ssh) {
    Path keys = dir.resolve("guest/ssh-" + name);
    try {
      Files.createDirectories(keys);
      Files.writeString(keys.resolve("ssh_host_ed25519_key"), ssh.hostKey().privateKey());
      Files.writeString(keys.resolve("ssh_host_ed25519_key.pub"), ssh.hostKey().publicKeyLine());
      Files.writeString(keys.resolve("root"), ssh.authorizedKey().strip() + "\n");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (git) {
      git("add", "guest/ssh-" + name).orThrow("git add guest keys");
    }
  }

  /** The assignments TestFlake puts after the first line of a guest's microvm-run. */
  private static String guestHead(String name, String version, GuestOptions options) {
    GuestSsh ssh = options.ssh();
    return String.join(
        "\n",
        "MICROVM_NAME=" + Commands.shellQuote(name),
        // A guest with SSH takes its version from its system: its runner then differs from the
        // next version's only where the system's path appears, as MicroVM.nix's does.
        "GUEST_VERSION=" + (ssh == null ? Commands.shellQuote(version) : "''"),
        "GUEST_MODE=" + options.mode(),
        "GUEST_CRASH_AFTER=" + options.crashAfterSeconds(),
        "GUEST_SSH_PORT=" + (ssh == null ? "" : String.valueOf(ssh.port())),
        "GUEST_MEMORY=" + (ssh == null ? 256 : ssh.memory()));
  }

  /** bin/virtiofsd-run of a guest with SSH (testenv/guest/virtiofsd-run). */
  private static final String VIRTIOFSD_RUN =
      String.join(
          "\n",
          "printf '%s\\n%s\\n%s' \"$virtiofsdShebang\" \"$virtiofsdHead\" \"$virtiofsdBody\" \\",
          "  > \"$out/bin/virtiofsd-run\"",
          "/bin/chmod 755 \"$out/bin/virtiofsd-run\"");

  /**
   * The system (toplevel) of a guest with SSH: nixos-version, init, etc/hostname, etc/ssh/ and
   * bin/switch-to-configuration (testenv/guest/switch-to-configuration with SYSTEM and whether
   * activation fails put after its first line).
   */
  private String sshSystem(String name, String version, GuestSsh ssh) {
    writeGuestKeys(name, ssh);
    String build =
        String.join(
            "\n",
            "/bin/mkdir -p \"$out/bin\" \"$out/etc/ssh/authorized_keys.d\"",
            "printf '%s\\n' \"$version\" > \"$out/nixos-version\"",
            "printf '%s' \"$initScript\" > \"$out/init\"",
            "printf '%s\\n' \"$hostName\" > \"$out/etc/hostname\"",
            "/bin/cp \"$keys/ssh_host_ed25519_key\" \"$keys/ssh_host_ed25519_key.pub\" \"$out/etc/ssh/\"",
            "/bin/cp \"$keys/root\" \"$out/etc/ssh/authorized_keys.d/root\"",
            "{",
            "  printf '%s\\n' \"$switchShebang\"",
            "  printf 'SYSTEM=%s\\nFAILING_ACTIVATION=%s\\n' \"$out\" \"$failingActivation\"",
            "  printf '%s' \"$switchBody\"",
            "} > \"$out/bin/switch-to-configuration\"",
            "/bin/chmod 755 \"$out/init\" \"$out/bin/switch-to-configuration\"",
            "");
    Map<String, String> env = new LinkedHashMap<>();
    env.put("version", version);
    env.put("hostName", name);
    env.put("failingActivation", String.valueOf(ssh.failingActivation()));
    env.put(
        "initScript",
        "#!/bin/sh\necho "
            + Commands.shellQuote("nixos-system " + name + " " + version + " init")
            + "\n");
    putScript(env, "switch", "guest/switch-to-configuration", "");
    String keysPath =
        "builtins.path { path = ./guest/ssh-" + name + "; name = \"guest-ssh-" + name + "\"; }";
    return derivation(
        "nixos-system-" + name + "-" + storeName(version), build, env, Map.of("keys", keysPath));
  }

  /** What every runner's share/microvm holds: system (a link to the toplevel) and hypervisor. */
  private static final String SHARE_MICROVM =
      String.join(
          "\n",
          "/bin/chmod 755 \"$out/bin/microvm-run\" \"$out/bin/microvm-shutdown\"",
          "/bin/ln -s \"$toplevel\" \"$out/share/microvm/system\"",
          "printf 'qemu' > \"$out/share/microvm/hypervisor\"");

  /**
   * A light process runner (testenv/runner/microvm-run): no guest; it prints that it started,
   * writes running-version and runs until stopped, or until {@code crashAfter} seconds when given.
   */
  private static String lightRunner(
      String name, String version, String buildPrelude, String crashAfter) {
    String head =
        String.join(
            "\n",
            "MICROVM_NAME=" + Commands.shellQuote(name),
            "RUNNER_VERSION=" + Commands.shellQuote(version),
            "RUNNER_CRASH_AFTER=" + Commands.shellQuote(crashAfter));
    String build =
        buildPrelude
            + String.join(
                "\n",
                "/bin/mkdir -p \"$out/bin\" \"$out/share/microvm\"",
                "printf '%s\\n%s\\n%s' \"$runShebang\" \"$runHead\" \"$runBody\" \\",
                "  > \"$out/bin/microvm-run\"",
                "printf '%s\\n%s\\n%s' \"$shutdownShebang\" \"$shutdownHead\" \"$shutdownBody\" \\",
                "  > \"$out/bin/microvm-shutdown\"",
                SHARE_MICROVM,
                "");
    Map<String, String> env = new LinkedHashMap<>();
    putScript(env, "run", "runner/microvm-run", head);
    putScript(
        env, "shutdown", "runner/microvm-shutdown", "MICROVM_NAME=" + Commands.shellQuote(name));
    return derivation(
        "microvm-" + name + "-" + storeName(version),
        build,
        env,
        Map.of("toplevel", "toplevel", "supportsNotifySocket", "true"));
  }

  /**
   * Puts a script from testenv/RESOURCE into the derivation's environment as PREFIXShebang (its
   * first line), PREFIXHead (the assignments that go right after it) and PREFIXBody (the rest).
   */
  private static void putScript(
      Map<String, String> env, String prefix, String resource, String head) {
    String script = resource(resource);
    int firstLineEnd = script.indexOf('\n');
    env.put(prefix + "Shebang", script.substring(0, firstLineEnd));
    env.put(prefix + "Head", head);
    env.put(prefix + "Body", script.substring(firstLineEnd + 1));
  }

  private static String resource(String name) {
    try (InputStream in = TestFlake.class.getResourceAsStream("/testenv/" + name)) {
      if (in == null) {
        throw new IllegalStateException("no testenv/" + name + " among the test resources");
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Puts the guest kit's kernel and initramfs into the flake's folder, once; the initramfs of a
   * guest with SSH too when {@code ssh}.
   */
  private void addGuestFiles(boolean ssh) {
    if (guestFiles && (!ssh || sshGuestFiles)) {
      return;
    }
    GuestKit kit = GuestKit.get();
    Map<String, Path> files = new LinkedHashMap<>();
    files.put("vmlinuz", kit.kernel());
    files.put("initrd", kit.initrd());
    if (ssh) {
      files.put("initrd-ssh", kit.sshInitrd());
    }
    try {
      Path guestDir = Files.createDirectories(dir.resolve("guest"));
      for (var file : files.entrySet()) {
        Path target = guestDir.resolve(file.getKey());
        Files.deleteIfExists(target);
        try {
          Files.createLink(target, file.getValue());
        } catch (IOException | UnsupportedOperationException e) {
          Files.copy(file.getValue(), target);
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (git) {
      List<String> add = new ArrayList<>(List.of("add"));
      files.keySet().forEach(file -> add.add("guest/" + file));
      git(add.toArray(String[]::new)).orThrow("git add guest files");
    }
    guestFiles = true;
    sshGuestFiles |= ssh;
  }

  private static String storeName(String version) {
    return version.replaceAll("[^A-Za-z0-9+._?=-]", "_");
  }

  /**
   * {@code derivation { ... }} built by /bin/sh with {@code builderScript}; {@code env} are string
   * attributes, {@code rawEnv} attributes given as Nix expressions (e.g. {@code toplevel}).
   */
  private static String derivation(
      String storeName, String builderScript, Map<String, String> env, Map<String, String> rawEnv) {
    StringBuilder nix = new StringBuilder("derivation {\n");
    nix.append("          name = ").append(nixString(storeName)).append(";\n");
    nix.append("          system = \"x86_64-linux\";\n");
    nix.append("          builder = \"/bin/sh\";\n");
    nix.append("          args = [ \"-c\" ").append(nixString(builderScript)).append(" ];\n");
    env.forEach(
        (key, value) ->
            nix.append("          ")
                .append(key)
                .append(" = ")
                .append(nixString(value))
                .append(";\n"));
    rawEnv.forEach(
        (key, value) ->
            nix.append("          ").append(key).append(" = ").append(value).append(";\n"));
    return nix.append("        }").toString();
  }

  /** A Nix double-quoted string literal. */
  static String nixString(String s) {
    return "\""
        + s.replace("\\", "\\\\")
            .replace("\"", "\\\"")
            .replace("${", "\\${")
            .replace("\n", "\\n")
            .replace("\r", "\\r")
            .replace("\t", "\\t")
        + "\"";
  }

  private void write(String commitMessage) {
    StringBuilder nix = new StringBuilder();
    nix.append("{\n  description = \"microvm-operator test flake\";\n");
    nix.append("  outputs = { self }:\n    let\n");
    if (guestFiles) {
      // Own store paths for the kernel and initramfs: the runners do not change with the flake.
      nix.append("      guestKernel = builtins.path")
          .append(" { path = ./guest/vmlinuz; name = \"microvm-guest-vmlinuz\"; };\n");
      nix.append("      guestInitrd = builtins.path")
          .append(" { path = ./guest/initrd; name = \"microvm-guest-initrd\"; };\n");
    }
    if (sshGuestFiles) {
      nix.append("      guestSshInitrd = builtins.path")
          .append(" { path = ./guest/initrd-ssh; name = \"microvm-guest-initrd-ssh\"; };\n");
    }
    nix.append("      shared = builtins.foldl' builtins.add 0 (builtins.genList (x: x) ")
        .append(sharedEvaluation)
        .append(");\n");
    nix.append("    in {\n    nixosConfigurations = {\n");
    configurations.forEach(
        (name, configuration) ->
            nix.append("      ")
                .append(name)
                .append(" = let\n        toplevel = ")
                .append(configuration.toplevel())
                .append(";\n      in {\n        config.system.build.toplevel = toplevel;\n")
                .append("        config.microvm.declaredRunner = builtins.seq shared (")
                .append(configuration.runner())
                .append(")")
                .append(";\n      };\n"));
    nix.append("    };\n  };\n}\n");
    try {
      Files.createDirectories(dir);
      Files.writeString(dir.resolve("flake.nix"), nix.toString());
      Files.writeString(dir.resolve("flake.lock"), LOCK);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (git) {
      git("add", "flake.nix", "flake.lock").orThrow("git add");
      git("commit", "-q", "--allow-empty", "-m", commitMessage).orThrow("git commit");
    }
  }

  private ExecResult git(String... args) {
    List<String> argv = new ArrayList<>(List.of("git", "-C", dir.toString()));
    argv.addAll(List.of("-c", "user.name=testenv", "-c", "user.email=testenv@localhost"));
    argv.addAll(List.of("-c", "commit.gpgsign=false"));
    argv.addAll(List.of(args));
    return Commands.run(argv, Map.of(), Commands.DEFAULT_TIMEOUT);
  }

  private void requireGit() {
    if (!git) {
      throw new IllegalStateException("not a git flake: " + dir);
    }
  }
}
