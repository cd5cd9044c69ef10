package io.microvmoperator.testenv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a test flake without inputs (no nixpkgs) whose {@code
 * nixosConfigurations.NAME.config.microvm.declaredRunner} builds in a fraction of a second. Each
 * configuration is one variant: a runner of a given version, an evaluation error, a build failure
 * or a slow build. The runner's {@code bin/microvm-run} prints {@code microvm-run NAME VERSION
 * started}, writes VERSION to {@code running-version} in its working directory, then sleeps until
 * stopped; {@code share/microvm/system/nixos-version} holds VERSION too.
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
  private final Map<String, String> configurations = new LinkedHashMap<>();
  private String branch = "main";

  private TestFlake(Path dir, boolean git) {
    this.dir = dir;
    this.git = git;
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

  /** A runner that reports {@code version}; a new version is a new store path. */
  public TestFlake runner(String name, String version) {
    return set(name, declaredRunner(name, version, ""), "runner " + name + " " + version);
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
    String run =
        String.join(
            "\n",
            "#!/bin/sh",
            "echo " + Commands.shellQuote("microvm-run " + name + " " + version + " started"),
            "/bin/sleep " + runsFor.toMillis() / 1000.0,
            "echo " + Commands.shellQuote("microvm-run " + name + " " + version + " crashed"),
            "exit 1",
            "");
    return set(
        name, declaredRunner(name, version, "", run), "crashing runner " + name + " " + version);
  }

  /**
   * An attribute that builds but is not a runner: its output has {@code share/microvm/system} and
   * no {@code bin/microvm-run} (a wrong attribute, a package that is not a runner).
   */
  public TestFlake notARunner(String name, String version) {
    String build =
        "/bin/mkdir -p \"$out/share/microvm/system\"\n"
            + "printf '%s\\n' \"$version\" > \"$out/share/microvm/system/nixos-version\"\n";
    return set(
        name, derivation(name, version, build, Map.of("version", version)), "not a runner " + name);
  }

  /** Evaluating the runner fails with {@code throw message}. */
  public TestFlake evalError(String name, String message) {
    return set(name, "throw " + nixString(message), "eval error " + name);
  }

  /** Building the runner fails: it prints {@link #BUILD_FAILURE_MARKER} message, exits 1. */
  public TestFlake buildFailure(String name, String message) {
    String script =
        "echo " + Commands.shellQuote(BUILD_FAILURE_MARKER + " " + message) + " >&2; exit 1";
    return set(name, derivation(name, "failed", script, Map.of()), "build failure " + name);
  }

  /** A runner of {@code version} whose build first sleeps {@code seconds}. */
  public TestFlake slowBuild(String name, String version, int seconds) {
    return set(
        name,
        declaredRunner(name, version, "/bin/sleep " + seconds + "\n"),
        "slow build " + name + " " + version);
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

  // ---- internals ------------------------------------------------------------------------------

  private TestFlake set(String name, String nixExpression, String message) {
    if (!name.matches("[A-Za-z0-9_][A-Za-z0-9_-]*")) {
      throw new IllegalArgumentException("not a usable VM name: " + name);
    }
    configurations.put(name, nixExpression);
    write(message);
    return this;
  }

  private static String declaredRunner(String name, String version, String buildPrelude) {
    return declaredRunner(name, version, buildPrelude, runScript(name, version));
  }

  /** A microvm-run that reports its start and runs until it is stopped. */
  private static String runScript(String name, String version) {
    return String.join(
        "\n",
        "#!/bin/sh",
        "echo " + Commands.shellQuote("microvm-run " + name + " " + version + " started"),
        "echo " + Commands.shellQuote(version) + " > running-version",
        // Under Type=notify (MicroVM.nix's useNotifySockets): ready. The sender lingers a second
        // so that systemd still finds its unit (systemd-notify exits too soon for that).
        "[ -z \"${NOTIFY_SOCKET:-}\" ] || perl -MSocket -e '"
            + "socket(my $s, AF_UNIX, SOCK_DGRAM, 0) or die; (my $p = $ENV{NOTIFY_SOCKET}) =~ s/^@/\\0/;"
            + " send($s, \"READY=1\", 0, pack_sockaddr_un($p)) or die; sleep 1' &",
        "/bin/sleep infinity &",
        "child=$!",
        // Stopped (SIGTERM), it ends as a guest that shut down cleanly: exit 0, as qemu does
        // after a power-down (systemd counts any other status as a failure).
        "trap 'kill $child 2>/dev/null; exit 0' TERM INT",
        "wait $child",
        "");
  }

  private static String declaredRunner(
      String name, String version, String buildPrelude, String run) {
    String shutdown = "#!/bin/sh\necho " + Commands.shellQuote("microvm-shutdown " + name) + "\n";
    String build =
        buildPrelude
            + String.join(
                "\n",
                "/bin/mkdir -p \"$out/bin\" \"$out/share/microvm/system\"",
                "printf '%s' \"$runScript\" > \"$out/bin/microvm-run\"",
                "printf '%s' \"$shutdownScript\" > \"$out/bin/microvm-shutdown\"",
                "/bin/chmod 755 \"$out/bin/microvm-run\" \"$out/bin/microvm-shutdown\"",
                "printf '%s\\n' \"$version\" > \"$out/share/microvm/system/nixos-version\"",
                "");
    return derivation(
        name,
        version,
        build,
        Map.of("runScript", run, "shutdownScript", shutdown, "version", version));
  }

  private static String derivation(
      String name, String version, String builderScript, Map<String, String> env) {
    StringBuilder nix = new StringBuilder("derivation {\n");
    nix.append("          name = ")
        .append(nixString("microvm-" + name + "-" + version.replaceAll("[^A-Za-z0-9+._?=-]", "_")))
        .append(";\n");
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
    nix.append("  outputs = { self }: {\n    nixosConfigurations = {\n");
    configurations.forEach(
        (name, runner) ->
            nix.append("      ")
                .append(name)
                .append(" = {\n        config.microvm.declaredRunner = ")
                .append(runner)
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
