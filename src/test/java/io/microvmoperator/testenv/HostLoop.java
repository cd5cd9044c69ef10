package io.microvmoperator.testenv;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * A shell script run on a test host in the background (locally in its namespace, not audited) until
 * the test stops it: the script gets the path of a stop file as {@code $1} (its further arguments
 * follow) and loops while that file does not exist. {@link #stop} returns what it printed; {@link
 * #close} (for try-with-resources) stops it too, so that a failing test leaves no loop behind.
 */
public final class HostLoop implements AutoCloseable {

  private static final Duration LONGEST = Duration.ofMinutes(10);

  private final Path stopFile;
  private final CompletableFuture<ExecResult> run;

  private HostLoop(Path stopFile, CompletableFuture<ExecResult> run) {
    this.stopFile = stopFile;
    this.run = run;
  }

  public static HostLoop start(TestHost host, String script, String... args) {
    Path stopFile;
    try {
      stopFile = Files.createTempFile(host.dir(), "stop-loop-", "");
      Files.delete(stopFile);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<String> argv =
        new ArrayList<>(List.of("/bin/sh", "-c", script, "sh", stopFile.toString()));
    argv.addAll(List.of(args));
    return new HostLoop(
        stopFile, CompletableFuture.supplyAsync(() -> host.exec(LONGEST, argv), Commands.READERS));
  }

  /** Stops the loop after its current round and returns its output (it must end with status 0). */
  public String stop() {
    try {
      Files.writeString(stopFile, "");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return run.join().orThrow("host loop").stdout();
  }

  @Override
  public void close() {
    if (!run.isDone()) {
      try {
        stop();
      } catch (RuntimeException ignored) {
        // the test has failed already, or stop() reported the loop's own failure
      }
    }
  }
}
