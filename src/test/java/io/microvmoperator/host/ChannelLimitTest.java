package io.microvmoperator.host;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import org.junit.jupiter.api.Test;

/** The per-connection channel limit shrinking to what the server accepts. */
class ChannelLimitTest {

  private final ChannelLimit limit = new ChannelLimit(4);

  @Test
  void aRefusalWhileOthersAreOpenLowersTheLimitToThem() throws Exception {
    assertThat(limit.acquire(Duration.ZERO)).isTrue();
    limit.opened();
    assertThat(limit.acquire(Duration.ZERO)).isTrue();
    assertThat(limit.acquire(Duration.ZERO)).isTrue();

    limit.release(false);
    limit.refused();

    assertThat(limit.limit()).isEqualTo(1);
    assertThat(limit.acquire(Duration.ofMillis(10))).as("one slot is still opening").isFalse();
    limit.release(false);
    limit.refused();
    limit.release(true);
    assertThat(limit.acquire(Duration.ZERO))
        .as("the server frees a closed session a moment later")
        .isFalse();
    assertThat(limit.acquire(ChannelLimit.SETTLE.multipliedBy(5))).isTrue();
    assertThat(limit.limit()).isEqualTo(1);
  }

  @Test
  void anUnlimitedConnectionReusesAFreedSlotAtOnce() throws Exception {
    assertThat(limit.acquire(Duration.ZERO)).isTrue();
    limit.opened();
    limit.release(true);
    assertThat(limit.acquire(Duration.ZERO)).isTrue();
  }

  @Test
  void aRefusalWithNothingOpenIsAServerSlotNotFreedYetAndKeepsTheLimit() throws Exception {
    assertThat(limit.acquire(Duration.ZERO)).isTrue();

    limit.release(false);
    limit.refused();

    assertThat(limit.limit()).isEqualTo(4);
  }

  @Test
  void waitsForAFreeSlotAtMostTheTimeout() throws Exception {
    for (int i = 0; i < 4; i++) {
      assertThat(limit.acquire(Duration.ZERO)).isTrue();
    }
    assertThat(limit.acquire(Duration.ofMillis(20))).isFalse();
    Thread releaser =
        new Thread(
            () -> {
              try {
                Thread.sleep(50);
              } catch (InterruptedException ignored) {
                return;
              }
              limit.release(false);
            });
    releaser.start();
    assertThat(limit.acquire(Duration.ofSeconds(10))).isTrue();
    releaser.join();
  }
}
