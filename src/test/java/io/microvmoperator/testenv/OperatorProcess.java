package io.microvmoperator.testenv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The runnable jar ({@code target/microvm-operator-*.jar} with {@code target/lib}) in its own
 * process, as a user or a container starts it: a kubeconfig and environment variables, its output
 * in a log file, {@code /healthz}, {@code /readyz} and {@code /metrics} on a free port.
 */
public final class OperatorProcess implements AutoCloseable {

  private static final HttpClient HTTP = HttpClient.newHttpClient();

  private final Process process;
  private final int port;
  private final Path log;

  private OperatorProcess(Process process, int port, Path log) {
    this.process = process;
    this.port = port;
    this.log = log;
  }

  /**
   * Starts the jar against {@code kubeconfig} with {@code env} (HEALTH_PORT is set to a free port)
   * and writes its output to {@code log}.
   */
  public static OperatorProcess start(Path kubeconfig, Map<String, String> env, Path log) {
    try {
      int port;
      try (ServerSocket socket = new ServerSocket(0)) {
        port = socket.getLocalPort();
      }
      ProcessBuilder builder =
          new ProcessBuilder(
                  Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                  "-jar",
                  jar().toString())
              .redirectErrorStream(true)
              .redirectOutput(log.toFile());
      builder.environment().putAll(env);
      builder.environment().put("KUBECONFIG", kubeconfig.toString());
      builder.environment().put("HEALTH_PORT", String.valueOf(port));
      return new OperatorProcess(builder.start(), port, log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Path jar() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      return files
          .filter(p -> p.getFileName().toString().matches("microvm-operator-.*\\.jar"))
          .findFirst()
          .orElseThrow(
              () -> new IllegalStateException("no target/microvm-operator-*.jar: package"));
    }
  }

  /** GET {@code path} on the health port. */
  public HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  public String log() {
    try {
      return Files.readString(log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  public boolean isAlive() {
    return process.isAlive();
  }

  /** Ends it with SIGKILL, as a node that dies: no shutdown hook runs, no lease is released. */
  public void kill() {
    process.destroyForcibly();
    try {
      process.waitFor(10, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /**
   * Stops it with SIGTERM, as Kubernetes does; fails if it does not end within 30 s, or if its log
   * holds an ERROR or a stack trace ({@link LogProblems}).
   */
  @Override
  public void close() {
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly();
        throw new AssertionError("the operator did not stop within 30 s of SIGTERM");
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    List<String> problems = LogProblems.in(log());
    if (!problems.isEmpty()) {
      throw new AssertionError(
          "the operator logged ERRORs or stack traces ("
              + log
              + "):\n"
              + String.join("\n", problems));
    }
  }
}
