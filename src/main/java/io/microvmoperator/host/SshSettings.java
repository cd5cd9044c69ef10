package io.microvmoperator.host;

import java.time.Duration;

/**
 * Transport limits for one SSH connection. sshj's own defaults are no timeouts and no keep-alive,
 * which lets a dead host hang a thread forever.
 */
public record SshSettings(
    Duration connectTimeout,
    Duration readTimeout,
    Duration keepAliveInterval,
    Duration defaultCommandTimeout,
    int maxChannels,
    int maxCapturedBytes) {

  public static SshSettings defaults() {
    return new SshSettings(
        Duration.ofSeconds(10),
        Duration.ofSeconds(60),
        Duration.ofSeconds(15),
        Duration.ofMinutes(2),
        4,
        1 << 20);
  }
}
