package io.microvmoperator.cli;

import io.microvmoperator.testenv.Commands;
import io.microvmoperator.testenv.ExecResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * The packaged plugin as a user runs it: the launcher {@code target/kubectl-microvm} (built by
 * {@code mvn package}) with the jar beside it, against a kubeconfig file, with no standard input.
 */
final class PackagedPlugin {

  static final Path LAUNCHER = Path.of("target", "kubectl-microvm").toAbsolutePath();

  private final Path kubeconfig;

  PackagedPlugin(Path kubeconfig) {
    if (!Files.isExecutable(LAUNCHER)) {
      throw new IllegalStateException(LAUNCHER + " is missing: run mvn package (or verify) first");
    }
    this.kubeconfig = kubeconfig;
  }

  /** {@code kubectl-microvm ARGS} with {@code KUBECONFIG} set, as kubectl runs a plugin. */
  ExecResult run(String... args) {
    return typing("", args);
  }

  /** {@code kubectl-microvm ARGS} with {@code input} typed on its standard input. */
  ExecResult typing(String input, String... args) {
    return Commands.run(
        argv(args), Map.of("KUBECONFIG", kubeconfig.toString()), input, Duration.ofMinutes(3));
  }

  /**
   * Starts {@code kubectl-microvm ARGS} with {@code input} typed on its standard input (then
   * closed) and returns the running process.
   */
  Process start(String input, String... args) {
    ProcessBuilder builder = new ProcessBuilder(argv(args));
    builder.environment().put("KUBECONFIG", kubeconfig.toString());
    try {
      Process process = builder.start();
      try (var stdin = process.getOutputStream()) {
        stdin.write(input.getBytes(StandardCharsets.UTF_8));
      }
      return process;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** {@code kubectl microvm ARGS} through the real kubectl, which finds the plugin on PATH. */
  ExecResult throughKubectl(Path kubectl, String... args) {
    List<String> argv = new ArrayList<>(List.of(kubectl.toString(), "microvm"));
    argv.addAll(List.of(args));
    return Commands.run(
        argv,
        Map.of(
            "KUBECONFIG",
            kubeconfig.toString(),
            "PATH",
            LAUNCHER.getParent() + ":" + System.getenv("PATH")),
        Duration.ofMinutes(3));
  }

  private static List<String> argv(String... args) {
    List<String> argv = new ArrayList<>(List.of(LAUNCHER.toString()));
    argv.addAll(List.of(args));
    return argv;
  }
}
