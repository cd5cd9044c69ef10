package io.microvmoperator.testenv;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/** Runs local commands (argv, never a shell line) and quotes strings for shell scripts. */
public final class Commands {

  public static final Duration DEFAULT_TIMEOUT = Duration.ofMinutes(2);

  // Output readers block, so they get their own threads (the common pool may have only one).
  static final ExecutorService READERS =
      Executors.newCachedThreadPool(
          runnable -> {
            Thread thread = new Thread(runnable, "testenv-output-reader");
            thread.setDaemon(true);
            return thread;
          });

  private Commands() {}

  public static ExecResult run(String... argv) {
    return run(List.of(argv), Map.of(), DEFAULT_TIMEOUT);
  }

  /** Runs argv with extra environment variables; kills it (and fails) after the timeout. */
  public static ExecResult run(List<String> argv, Map<String, String> env, Duration timeout) {
    return run(argv, env, "", timeout);
  }

  /** As {@link #run(List, Map, Duration)}, with {@code input} on its standard input. */
  public static ExecResult run(
      List<String> argv, Map<String, String> env, String input, Duration timeout) {
    ProcessBuilder builder = new ProcessBuilder(argv).redirectInput(ProcessBuilder.Redirect.PIPE);
    builder.environment().putAll(env);
    try {
      Process process = builder.start();
      try (var stdin = process.getOutputStream()) {
        stdin.write(input.getBytes(StandardCharsets.UTF_8));
      }
      CompletableFuture<String> stdout = readAsync(process.getInputStream());
      CompletableFuture<String> stderr = readAsync(process.getErrorStream());
      if (!process.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        throw new IllegalStateException("timed out after " + timeout + ": " + argv);
      }
      return new ExecResult(process.exitValue(), stdout.join(), stderr.join());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted: " + argv, e);
    }
  }

  /** Quotes a string for POSIX sh: {@code it's} becomes {@code 'it'\''s'}. */
  public static String shellQuote(String s) {
    return "'" + s.replace("'", "'\\''") + "'";
  }

  /** Sends a signal to a whole process group (the group led by {@code pgid}). */
  static void killGroup(long pgid, String signal) {
    run(List.of("/bin/kill", "-" + signal, "--", "-" + pgid), Map.of(), Duration.ofSeconds(10));
  }

  private static CompletableFuture<String> readAsync(InputStream in) {
    return CompletableFuture.supplyAsync(
        () -> {
          try (in) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
          } catch (IOException e) {
            throw new UncheckedIOException(e);
          }
        },
        READERS);
  }
}
