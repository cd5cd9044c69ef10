package io.microvmoperator.host;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.microvmoperator.testenv.TestClock;
import java.io.IOException;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Reconnect back-off, with a connector that fails and a clock the test moves. */
class HostConnectionsTest {

  private static final SshTarget TARGET = new SshTarget("127.0.0.1", 1, "root", List.of("k"));

  private Instant now = Instant.parse("2026-11-25T10:00:00Z");
  private int attempts;
  private IOException failure = new IOException("connection refused");
  private double random = 0.999999;

  private final HostConnections connections =
      new HostConnections(
          (target, key, settings) -> {
            attempts++;
            throw failure;
          },
          SshSettings.defaults(),
          TestClock.of(() -> now),
          () -> random,
          HostConnections.LoginListener.NONE);

  @Test
  void waitsLongerAfterEachFailureBeforeTryingAgain() {
    assertThatThrownBy(() -> connections.get("h", TARGET, "key"))
        .isInstanceOf(HostUnreachableException.class)
        .hasMessageContaining("connection refused");
    assertThatThrownBy(() -> connections.get("h", TARGET, "key"))
        .hasMessageContaining("next attempt in");
    assertThat(attempts).isEqualTo(1);

    now = now.plus(Duration.ofSeconds(1));
    assertThatThrownBy(() -> connections.get("h", TARGET, "key"));
    assertThat(attempts).isEqualTo(2);

    now = now.plus(Duration.ofSeconds(1));
    assertThatThrownBy(() -> connections.get("h", TARGET, "key"));
    assertThat(attempts).as("the second back-off is two seconds").isEqualTo(2);
    now = now.plus(Duration.ofSeconds(1));
    assertThatThrownBy(() -> connections.get("h", TARGET, "key"));
    assertThat(attempts).isEqualTo(3);
  }

  @Test
  void theWaitIsSpreadBetweenHalfAndAllOfTheBackOff() {
    random = 0.0;
    assertThatThrownBy(() -> connections.get("h", TARGET, "key"));
    now = now.plus(Duration.ofMillis(499));
    assertThatThrownBy(() -> connections.get("h", TARGET, "key"));
    assertThat(attempts).isEqualTo(1);
    now = now.plus(Duration.ofMillis(1));
    assertThatThrownBy(() -> connections.get("h", TARGET, "key"));
    assertThat(attempts).as("half of the first back-off of 1 s").isEqualTo(2);
  }

  @Test
  void aChangedTargetOrKeyIsTriedAtOnce() {
    assertThatThrownBy(() -> connections.get("h", TARGET, "key"));
    assertThatThrownBy(() -> connections.get("h", TARGET, "rotated key"));
    assertThat(attempts).isEqualTo(2);
  }

  @Test
  void aRejectedHostKeyStaysARejectedHostKeyDuringTheBackOff() {
    failure = new HostKeyRejectedException("root@h:22", "SHA256:other", null);
    assertThatThrownBy(() -> connections.get("h", TARGET, "key"))
        .isInstanceOf(HostKeyRejectedException.class);
    assertThatThrownBy(() -> connections.get("h", TARGET, "key"))
        .isInstanceOf(HostKeyRejectedException.class);
    assertThat(attempts).isEqualTo(1);
  }

  @Test
  void aRefusedLoginStaysARefusedLoginDuringTheBackOff() {
    failure = new AuthenticationRefusedException("root@h:22", "SHA256:mine", null);
    assertThatThrownBy(() -> connections.get("h", TARGET, "key"))
        .isInstanceOf(AuthenticationRefusedException.class)
        .hasMessageContaining("authorized_keys");
    assertThatThrownBy(() -> connections.get("h", TARGET, "key"))
        .isInstanceOf(AuthenticationRefusedException.class);
    assertThat(attempts).isEqualTo(1);

    failure = new PrivateKeyUnreadableException("root@h:22");
    assertThatThrownBy(() -> connections.get("h", TARGET, "fixed? no, another broken key"))
        .isInstanceOfSatisfying(
            LoginRefusedException.class,
            e -> assertThat(e.reason()).isEqualTo("InvalidPrivateKey"));
    assertThat(attempts).as("a changed key is tried at once").isEqualTo(2);
  }
}
