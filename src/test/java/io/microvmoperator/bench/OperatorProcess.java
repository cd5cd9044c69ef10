package io.microvmoperator.bench;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The packaged operator ({@code java -jar target/microvm-operator-*.jar}) as a process of its own,
 * as a user runs it: so that its resident memory is its own, read from {@code /proc/PID/status}.
 */
final class OperatorProcess implements AutoCloseable {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final long startNanos;
  private final int port;
  private final Thread killOnExit;

  private OperatorProcess(Process process, long startNanos, int port) {
    this.process = process;
    this.startNanos = startNanos;
    this.port = port;
    this.killOnExit = new Thread(process::destroyForcibly, "bench-operator-kill");
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  static OperatorProcess start(
      Path kubeconfig, String operatorNamespace, List<String> jvmFlags, Path log) {
    try {
      int port;
      try (ServerSocket socket = new ServerSocket(0)) {
        port = socket.getLocalPort();
      }
      List<String> argv = new ArrayList<>();
      argv.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
      argv.addAll(jvmFlags);
      argv.add("-jar");
      argv.add(jar().toString());
      ProcessBuilder builder =
          new ProcessBuilder(argv)
              .redirectErrorStream(true)
              .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
      builder.environment().put("KUBECONFIG", kubeconfig.toString());
      builder.environment().put("OPERATOR_NAMESPACE", operatorNamespace);
      builder.environment().put("HEALTH_PORT", String.valueOf(port));
      // glibc's default of 8 malloc arenas per core only adds resident memory to a JVM.
      builder.environment().put("MALLOC_ARENA_MAX", "2");
      long start = System.nanoTime();
      return new OperatorProcess(builder.start(), start, port);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Waits until {@code /readyz} answers 200 (the operator serves it only after its informers'
   * caches are synced) and returns the seconds since the process was started.
   */
  double awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the operator exited with " + process.exitValue());
      }
      try {
        HttpResponse<Void> response =
            HTTP.send(
                HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/readyz"))
                    .timeout(Duration.ofSeconds(2))
                    .build(),
                HttpResponse.BodyHandlers.discarding());
        if (response.statusCode() == 200) {
          return ScriptedFleet.secondsSince(startNanos);
        }
      } catch (IOException notListeningYet) {
        // the HTTP server starts after the caches are synced
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
      sleep(20);
    }
    throw new IllegalStateException("the operator was not ready within " + timeout);
  }

  long pid() {
    return process.pid();
  }

  /** The peak resident set size so far (VmHWM), in MiB. */
  double peakResidentMiB() {
    return statusField("VmHWM:") / 1024.0;
  }

  /** The resident set size now (VmRSS), in MiB. */
  double residentMiB() {
    return statusField("VmRSS:") / 1024.0;
  }

  private long statusField(String field) {
    try {
      return Files.readAllLines(Path.of("/proc/" + process.pid() + "/status")).stream()
          .filter(line -> line.startsWith(field))
          .map(line -> Long.parseLong(line.replaceAll("[^0-9]", "")))
          .findFirst()
          .orElseThrow();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Stops the operator as Kubernetes would: SIGTERM, then SIGKILL after 30 s. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException alreadyShuttingDown) {
      // the hook kills it
    }
    process.destroy();
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor(10, TimeUnit.SECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
    }
  }

  private static Path jar() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      return files
          .filter(p -> p.getFileName().toString().matches("microvm-operator-.*\\.jar"))
          .findFirst()
          .orElseThrow(
              () -> new IllegalStateException("no target/microvm-operator-*.jar: run mvn package"));
    }
  }

  static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
