package io.microvmoperator.host;

import java.time.Duration;

/**
 * Transport limits for one SSH connection. sshj's own defaults are no timeouts and no keep-alive,
 * which lets a dead host hang a thread forever.
 *
 * @param keepAliveCountMax keep-alive requests left unanswered before the connection is declared
 *     dead (as OpenSSH's {@code ServerAliveCountMax}): a host that stops answering is given up
 *     after {@code keepAliveInterval} times this, plus at most one interval
 */
public record SshSettings(
    Duration connectTimeout,
    Duration readTimeout,
    Duration keepAliveInterval,
    int keepAliveCountMax,
    Duration defaultCommandTimeout,
    int maxChannels,
    int maxCapturedBytes) {

  public static SshSettings defaults() {
    return new SshSettings(
        Duration.ofSeconds(10),
        Duration.ofSeconds(60),
        Duration.ofSeconds(15),
        3,
        Duration.ofMinutes(2),
        4,
        1 << 20);
  }
}
