package io.microvmoperator.bench;

import io.microvmoperator.testenv.NixNamespace;
import io.microvmoperator.testenv.TestHost;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;

/**
 * The scripted way, run against real test hosts: {@code deploy-fleet.sh} (which calls {@code
 * deploy-vm.sh} per VM) on a deployer machine with its own Nix store, reaching the hosts through an
 * ssh config as a person's {@code ~/.ssh/config} would.
 */
final class ScriptedFleet {

  /** How a script run went: when each VM was deployed, seconds after the start. */
  record Run(double seconds, List<Double> deployedAt) {}

  private static final Duration TIMEOUT = Duration.ofMinutes(30);

  private final Path workDir;

  private ScriptedFleet(Path workDir) {
    this.workDir = workDir;
  }

  /** The scripts in {@code workDir}; each run gets a deployer machine of its own. */
  static ScriptedFleet create(Path workDir) {
    try {
      Files.createDirectories(workDir);
      for (String script : List.of("deploy-vm.sh", "deploy-fleet.sh")) {
        try (InputStream in = ScriptedFleet.class.getResourceAsStream("/bench/" + script)) {
          Path target = workDir.resolve(script);
          Files.write(target, in.readAllBytes());
          Files.setPosixFilePermissions(target, PosixFilePermissions.fromString("rwxr-xr-x"));
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new ScriptedFleet(workDir);
  }

  /**
   * A fresh deployer machine (its own Nix store and evaluation cache) for one run, so that no run
   * profits from the runners another built or the evaluations it cached.
   */
  private static NixNamespace freshDeployer(Path runDir) {
    NixNamespace deployer = NixNamespace.create(runDir.resolve("deployer"));
    deployer
        .exec(Duration.ofMinutes(1), List.of("nix-store", "--init"))
        .orThrow("nix-store --init");
    return deployer;
  }

  /**
   * Runs deploy-fleet.sh in {@code mode} (one-by-one, per-host) over {@code placements}; the script
   * and all it starts join {@code cpu} first.
   */
  Run deploy(String mode, List<Placement> placements, String flake, Optional<CpuMeter> cpu) {
    Path runDir = workDir.resolve(mode);
    try {
      Files.createDirectories(runDir);
      NixNamespace deployer = freshDeployer(runDir);
      Path sshConfig = runDir.resolve("ssh_config");
      Files.writeString(sshConfig, sshConfig(placements));
      Path inventory = runDir.resolve("inventory");
      StringBuilder lines = new StringBuilder();
      for (Placement p : placements) {
        lines.append(p.host().name()).append(' ').append(p.vm()).append(' ').append(flake);
        lines.append('\n');
      }
      Files.writeString(inventory, lines);
      List<String> argv =
          new ArrayList<>(
              deployer.wrap(
                  List.of(
                      "bash",
                      workDir.resolve("deploy-fleet.sh").toString(),
                      mode,
                      inventory.toString())));
      if (cpu.isPresent()) {
        argv.addAll(
            0, List.of("/bin/sh", "-c", "echo $$ > \"$0\" && exec \"$@\"", cpu.get().procsFile()));
      }
      ProcessBuilder builder =
          new ProcessBuilder(argv)
              .directory(runDir.toFile())
              .redirectError(runDir.resolve("stderr.log").toFile());
      builder.environment().putAll(deployer.environment());
      builder.environment().put("SSH_CONFIG", sshConfig.toString());
      long start = System.nanoTime();
      Process process = builder.start();
      process.getOutputStream().close();
      List<Double> deployedAt = new ArrayList<>();
      try (BufferedReader out =
          new BufferedReader(
              new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8))) {
        String line;
        while ((line = out.readLine()) != null) {
          if (line.startsWith("deployed ")) {
            deployedAt.add(Timing.secondsSince(start));
          }
        }
      }
      if (!process.waitFor(TIMEOUT.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new IllegalStateException(mode + ": the script did not finish in " + TIMEOUT);
      }
      double seconds = Timing.secondsSince(start);
      if (process.exitValue() != 0 || deployedAt.size() != placements.size()) {
        throw new IllegalStateException(
            mode
                + ": the script failed (exit "
                + process.exitValue()
                + ", "
                + deployedAt.size()
                + " of "
                + placements.size()
                + " deployed):\n"
                + tail(runDir.resolve("stderr.log")));
      }
      return new Run(seconds, deployedAt);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  private static String sshConfig(List<Placement> placements) {
    StringBuilder config = new StringBuilder();
    placements.stream()
        .map(Placement::host)
        .distinct()
        .forEach(
            host ->
                config
                    .append("Host ")
                    .append(host.name())
                    .append("\n  HostName ")
                    .append(host.address())
                    .append("\n  Port ")
                    .append(host.port())
                    .append("\n  User root\n  IdentityFile ")
                    .append(host.clientPrivateKeyFile())
                    .append("\n  IdentitiesOnly yes\n  BatchMode yes\n  UserKnownHostsFile ")
                    .append(host.knownHostsFile())
                    .append("\n  GlobalKnownHostsFile /dev/null\n  StrictHostKeyChecking yes")
                    .append("\n  LogLevel ERROR\n"));
    return config.toString();
  }

  private static String tail(Path file) throws IOException {
    List<String> lines = Files.readAllLines(file);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
  }

  /** One VM and the host it runs on. */
  record Placement(TestHost host, String vm) {}
}
