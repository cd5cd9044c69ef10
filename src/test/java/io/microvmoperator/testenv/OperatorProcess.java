package io.microvmoperator.testenv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
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
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * The runnable jar ({@code target/microvm-operator-*.jar} with {@code target/lib}) in its own
 * process, as a user or a container starts it: a kubeconfig and environment variables, its output
 * appended to a log file, {@code /healthz}, {@code /readyz} and {@code /metrics} on a free port.
 * Its resident memory is its own, read from {@code /proc/PID/status}. Killed if the test JVM exits
 * first.
 */
public final class OperatorProcess implements AutoCloseable {

  private static final HttpClient HTTP =
      HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();

  private final Process process;
  private final long startNanos;
  private final int port;
  private final Path log;
  private final Thread killOnExit;

  private OperatorProcess(Process process, long startNanos, int port, Path log) {
    this.process = process;
    this.startNanos = startNanos;
    this.port = port;
    this.log = log;
    this.killOnExit = new Thread(process::destroyForcibly, "operator-process-kill");
    Runtime.getRuntime().addShutdownHook(killOnExit);
  }

  /**
   * Starts the jar against {@code kubeconfig} with {@code env} (HEALTH_PORT is set to a free port
   * on 127.0.0.1 unless {@code env} names another HEALTH_ADDRESS) and appends its output to {@code
   * log}.
   */
  public static OperatorProcess start(Path kubeconfig, Map<String, String> env, Path log) {
    return start(kubeconfig, env, List.of(), log);
  }

  /** As {@link #start(Path, Map, Path)}, with flags for the JVM (heap size, GC). */
  public static OperatorProcess start(
      Path kubeconfig, Map<String, String> env, List<String> jvmFlags, Path log) {
    try {
      int port;
      try (ServerSocket socket = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
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
      builder.environment().put("HEALTH_ADDRESS", "127.0.0.1");
      builder.environment().putAll(env);
      builder.environment().put("KUBECONFIG", kubeconfig.toString());
      builder.environment().put("HEALTH_PORT", String.valueOf(port));
      long start = System.nanoTime();
      return new OperatorProcess(builder.start(), start, port, log);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The runnable jar, {@code target/microvm-operator-*.jar}, as this class starts it. */
  public static Path jar() throws IOException {
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      return files
          .filter(p -> p.getFileName().toString().matches("microvm-operator-.*\\.jar"))
          .findFirst()
          .orElseThrow(
              () -> new IllegalStateException("no target/microvm-operator-*.jar: run mvn package"));
    }
  }

  /** The health port. */
  public int port() {
    return port;
  }

  /** The URL of {@code path} on the health port. */
  public String url(String path) {
    return "http://127.0.0.1:" + port + path;
  }

  /** GET {@code path} on the health port. */
  public HttpResponse<String> get(String path) throws IOException, InterruptedException {
    return HTTP.send(
        HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
            .timeout(Duration.ofSeconds(2))
            .build(),
        HttpResponse.BodyHandlers.ofString());
  }

  /**
   * Waits until {@code /readyz} answers 200 (the operator serves it only once its informers' caches
   * are synced) and returns the seconds since the process was started.
   */
  public double awaitReady(Duration timeout) {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      if (!process.isAlive()) {
        throw new IllegalStateException("the operator exited with " + process.exitValue());
      }
      try {
        if (get("/readyz").statusCode() == 200) {
          return (System.nanoTime() - startNanos) / 1e9;
        }
        Thread.sleep(20);
      } catch (IOException notListeningYet) {
        // the HTTP server starts after the caches are synced
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IllegalStateException(e);
      }
    }
    throw new IllegalStateException("the operator was not ready within " + timeout);
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

  public long pid() {
    return process.pid();
  }

  /** The peak resident set size so far (VmHWM), in MiB. */
  public double peakResidentMiB() {
    return statusField("VmHWM:") / 1024.0;
  }

  /** The resident set size now (VmRSS), in MiB. */
  public double residentMiB() {
    return statusField("VmRSS:") / 1024.0;
  }

  /**
   * What the resident set is made of now: anonymous memory (heap, metaspace, threads, malloc) and
   * mapped files (the JDK's module image, the jar, shared libraries), in MiB.
   */
  public String residentParts() {
    return String.format(
        java.util.Locale.ROOT,
        "anonymous %.0f MiB, files %.0f MiB",
        statusField("RssAnon:") / 1024.0,
        statusField("RssFile:") / 1024.0);
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
    try {
      Runtime.getRuntime().removeShutdownHook(killOnExit);
    } catch (IllegalStateException alreadyShuttingDown) {
      // the hook kills it
    }
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
