package io.microvmoperator.reconcile.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.microvmoperator.testenv.TestClock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SourceChecksTest {

  private static final Duration INTERVAL = Duration.ofMinutes(5);

  private Instant now = Instant.parse("2026-11-25T10:00:00Z");
  private final AtomicInteger asked = new AtomicInteger();
  private final SourceChecks checks = new SourceChecks(TestClock.of(() -> now));

  @Test
  void aCheckIsDueAnIntervalAfterTheLastOneOrAfterTheRecordedChangeAfterARestart()
      throws Exception {
    assertThat(checks.due("a", null, INTERVAL)).isTrue();
    assertThat(checks.due("a", now.minusSeconds(60).toString(), INTERVAL)).isFalse();
    assertThat(checks.due("a", now.minus(INTERVAL).toString(), INTERVAL)).isTrue();

    checks.answer(new SourceChecks.Question("a", "flake", INTERVAL, false), this::ask);
    now = now.plusSeconds(299);
    assertThat(checks.due("a", "2026-01-01T00:00:00Z", INTERVAL))
        .as("this operator's own check counts, not the older recorded change")
        .isFalse();
    now = now.plusSeconds(1);
    assertThat(checks.due("a", null, INTERVAL)).isTrue();
  }

  @Test
  void anAnswerNobodyAskedForInADayIsForgotten() throws Exception {
    checks.answer(new SourceChecks.Question("a", "old-branch", INTERVAL, false), this::ask);
    now = now.plus(SourceChecks.FORGET_AFTER);
    checks.answer(new SourceChecks.Question("b", "new-branch", INTERVAL, false), this::ask);
    assertThat(checks.rememberedSources()).isEqualTo(2);

    now = now.plusSeconds(1);
    checks.answer(new SourceChecks.Question("b", "new-branch", INTERVAL, true), this::ask);
    assertThat(checks.rememberedSources()).as("old-branch is forgotten").isEqualTo(1);
    checks.answer(new SourceChecks.Question("a", "old-branch", INTERVAL, false), this::ask);
    assertThat(asked).as("a forgotten source is asked again").hasValue(4);
  }

  @Test
  void vmsFollowingOneSourceShareAnAnswerYoungerThanTheirInterval() throws Exception {
    assertThat(
            (String)
                checks.answer(new SourceChecks.Question("a", "flake", INTERVAL, false), this::ask))
        .isEqualTo("rev1");
    now = now.plusSeconds(100);
    assertThat(
            (String)
                checks.answer(new SourceChecks.Question("b", "flake", INTERVAL, false), this::ask))
        .isEqualTo("rev1");
    assertThat(asked).hasValue(1);
    assertThat(checks.due("b", null, INTERVAL))
        .as("b's check counts from when the answer was got")
        .isFalse();
    now = now.plusSeconds(200);
    assertThat(checks.due("b", null, INTERVAL)).isTrue();

    assertThat(
            (String)
                checks.answer(new SourceChecks.Question("b", "flake", INTERVAL, false), this::ask))
        .isEqualTo("rev2");
    assertThat(
            (String)
                checks.answer(
                    new SourceChecks.Question("c", "other flake", INTERVAL, false), this::ask))
        .isEqualTo("rev3");
    assertThat(
            (String)
                checks.answer(new SourceChecks.Question("a", "flake", INTERVAL, true), this::ask))
        .as("a requested reconcile asks again")
        .isEqualTo("rev4");
    assertThat(asked).hasValue(4);
  }

  @Test
  void concurrentChecksOfOneSourceWaitForTheOneThatRuns() throws Exception {
    CountDownLatch asking = new CountDownLatch(1);
    CountDownLatch answer = new CountDownLatch(1);
    ExecutorService threads = Executors.newFixedThreadPool(2);
    try {
      Future<Object> first =
          threads.submit(
              () ->
                  checks.answer(
                      new SourceChecks.Question("a", "flake", INTERVAL, false),
                      () -> {
                        asking.countDown();
                        try {
                          answer.await(10, TimeUnit.SECONDS);
                        } catch (InterruptedException e) {
                          throw new java.io.InterruptedIOException();
                        }
                        return ask();
                      }));
      assertThat(asking.await(10, TimeUnit.SECONDS)).isTrue();
      Future<Object> second =
          threads.submit(
              () ->
                  checks.answer(
                      new SourceChecks.Question("b", "flake", INTERVAL, false), this::ask));
      answer.countDown();
      assertThat(first.get(10, TimeUnit.SECONDS)).isEqualTo("rev1");
      assertThat(second.get(10, TimeUnit.SECONDS)).isEqualTo("rev1");
      assertThat(asked).hasValue(1);
    } finally {
      threads.shutdownNow();
    }
  }

  private String ask() {
    return "rev" + asked.incrementAndGet();
  }
}
