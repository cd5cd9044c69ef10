package io.microvmoperator.host;

import java.time.Duration;

/**
 * How many channels one connection may have open at once. It starts at the configured maximum and
 * shrinks to what the server has shown it accepts: sshd refuses channels beyond its {@code
 * MaxSessions}, and a client that kept opening them would only collect refusals. Once the server
 * has limited it, a freed slot is reused only after {@link #SETTLE}: sshd frees a session one turn
 * of its loop after the close arrives, and an open that follows the close at once is refused.
 */
final class ChannelLimit {

  static final Duration SETTLE = Duration.ofMillis(25);

  private final int configured;
  private int limit;
  private int slotsTaken;
  private int channelsOpen;
  private long lastClose;

  ChannelLimit(int limit) {
    this.configured = limit;
    this.limit = limit;
  }

  /** Takes a slot for opening a channel, waiting at most {@code timeout}; false when none came. */
  synchronized boolean acquire(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (true) {
      long now = System.nanoTime();
      long settleLeft = limit < configured ? lastClose + SETTLE.toNanos() - now : 0;
      if (slotsTaken < limit && settleLeft <= 0) {
        break;
      }
      long left = deadline - now;
      if (left <= 0) {
        return false;
      }
      long waitNanos = slotsTaken < limit ? Math.min(settleLeft, left) : left;
      wait(Math.max(1, waitNanos / 1_000_000));
    }
    slotsTaken++;
    return true;
  }

  /** The channel of a taken slot is open. */
  synchronized void opened() {
    channelsOpen++;
  }

  /** Gives a slot back; {@code wasOpen}: its channel had been opened (and is closed now). */
  synchronized void release(boolean wasOpen) {
    slotsTaken--;
    if (wasOpen) {
      channelsOpen--;
      lastClose = System.nanoTime();
    }
    notifyAll();
  }

  /**
   * The server refused a channel (whose slot was given back already) while others were open: it
   * takes no more than those. With none open, the refusal was a slot that the server had not freed
   * yet after a close, and the limit stays.
   */
  synchronized void refused() {
    if (channelsOpen > 0 && channelsOpen < limit) {
      limit = channelsOpen;
    }
  }

  synchronized int limit() {
    return limit;
  }
}
