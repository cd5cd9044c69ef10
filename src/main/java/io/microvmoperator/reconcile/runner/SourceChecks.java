package io.microvmoperator.reconcile.runner;

import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Checks of a source that can move (a flake's branch, a Hydra job), shared and remembered:
 *
 * <ul>
 *   <li>when each MicroVM last checked its source is held in memory, so that a check that finds
 *       nothing new needs no status write (the status records only when the source moved; after a
 *       restart of the operator that time is the starting point);
 *   <li>the latest answer for a source (a flake on one host, a Hydra job) is shared: a MicroVM
 *       whose check is due takes an answer younger than its interval, so that VMs following one
 *       source cost one check per interval together, and concurrent checks of one source wait for
 *       the one that runs. A new commit is still seen within one interval of being pushed.
 * </ul>
 *
 * <p>An answer nobody asked for in {@link #FORGET_AFTER} is forgotten (a source no MicroVM follows
 * any more).
 */
public final class SourceChecks {

  /** Asks the source; a command on the host or a request to Hydra. */
  public interface Check<T> {
    T ask() throws IOException, SourceUnavailable;
  }

  /** Longer than any interval a MicroVM may follow a source at. */
  public static final Duration FORGET_AFTER = Duration.ofDays(1);

  private record Answer(Object value, Instant at) {}

  private final Clock clock;
  private final Map<String, Instant> checkedAt = new ConcurrentHashMap<>();
  private final Map<String, Answer> answers = new ConcurrentHashMap<>();
  private final Map<String, Object> guards = new ConcurrentHashMap<>();

  public SourceChecks(Clock clock) {
    this.clock = clock;
  }

  /**
   * Whether {@code vm} should check its source again: {@code interval} after its last check, or
   * after {@code recorded} (the status' time of the last change) when this operator has not checked
   * yet.
   */
  public boolean due(String vm, String recorded, Duration interval) {
    Instant last = checkedAt.get(vm);
    if (last == null && recorded != null) {
      last = Instant.parse(recorded);
    }
    return last == null || !last.plus(interval).isAfter(clock.instant());
  }

  /**
   * {@code vm} asks about {@code source}; a shared answer younger than {@code interval} does unless
   * {@code fresh}.
   */
  public record Question(String vm, String source, Duration interval, boolean fresh) {}

  /**
   * The answer to {@code question}: a shared one young enough, else asked now by {@code check} (and
   * shared). Either way it counts as the VM's check, at the time the answer was got.
   */
  @SuppressWarnings("unchecked")
  public <T> T answer(Question question, Check<T> check) throws IOException, SourceUnavailable {
    String vm = question.vm();
    String source = question.source();
    Duration interval = question.interval();
    boolean fresh = question.fresh();
    synchronized (guards.computeIfAbsent(source, s -> new Object())) {
      Answer known = answers.get(source);
      if (!fresh && known != null && known.at().plus(interval).isAfter(clock.instant())) {
        checkedAt.put(vm, known.at());
        return (T) known.value();
      }
      Instant at = clock.instant();
      T value = check.ask();
      answers.put(source, new Answer(value, at));
      checkedAt.put(vm, at);
      forgetOlderThan(at.minus(FORGET_AFTER));
      return value;
    }
  }

  /** How many sources have an answer remembered. */
  public int rememberedSources() {
    return answers.size();
  }

  private void forgetOlderThan(Instant limit) {
    answers.forEach(
        (source, answer) -> {
          if (answer.at().isBefore(limit) && answers.remove(source, answer)) {
            guards.remove(source);
          }
        });
  }

  /** The MicroVM is gone. */
  public void forget(String vm) {
    checkedAt.remove(vm);
  }
}
