package io.microvmoperator.reconcile.kube;

import io.fabric8.kubernetes.api.model.HasMetadata;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes Events on threads of its own, so that a reconcile does not wait on the API server between
 * two host commands (a build's end and the converge): the Events of one reconcile are written while
 * its next command runs. {@link #flush} waits for the Events the calling thread recorded, so a
 * reconcile's Events are written before its status is, and whoever sees the status sees them.
 */
public final class BackgroundEvents implements Events, AutoCloseable {

  /** The longest {@link #flush} waits; an Event not written by then is written later. */
  static final Duration FLUSH_WAIT = Duration.ofSeconds(10);

  private static final Logger log = LoggerFactory.getLogger(BackgroundEvents.class);

  private final Events events;
  private final ExecutorService writers;
  private final ThreadLocal<List<Future<?>>> pending = ThreadLocal.withInitial(ArrayList::new);

  /** Writes through {@code events} on {@code threads} threads. */
  public BackgroundEvents(Events events, int threads) {
    this.events = events;
    AtomicInteger count = new AtomicInteger();
    this.writers =
        Executors.newFixedThreadPool(
            threads,
            task -> {
              Thread thread = new Thread(task, "event-writer-" + count.incrementAndGet());
              thread.setDaemon(true);
              return thread;
            });
  }

  @Override
  public void normal(HasMetadata about, String reason, String message) {
    pending.get().add(writers.submit(() -> events.normal(about, reason, message)));
  }

  @Override
  public void warning(HasMetadata about, String reason, String message) {
    pending.get().add(writers.submit(() -> events.warning(about, reason, message)));
  }

  @Override
  public void flush() {
    List<Future<?>> mine = pending.get();
    long deadline = System.nanoTime() + FLUSH_WAIT.toNanos();
    try {
      for (Future<?> write : mine) {
        write.get(Math.max(0, deadline - System.nanoTime()), TimeUnit.NANOSECONDS);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException | TimeoutException e) {
      log.warn("Events not written within {}: {}", FLUSH_WAIT, e.toString());
    } finally {
      mine.clear();
    }
  }

  /** Writes the Events recorded so far (for up to {@link #FLUSH_WAIT}), then stops. */
  @Override
  public void close() {
    writers.shutdown();
    try {
      writers.awaitTermination(FLUSH_WAIT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }
}
