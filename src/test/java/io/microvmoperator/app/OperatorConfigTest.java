package io.microvmoperator.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The environment variables the Helm chart sets, read as the operator reads them. */
class OperatorConfigTest {

  @Test
  void defaults() {
    OperatorConfig config = OperatorConfig.fromEnvironment(Map.of("OPERATOR_NAMESPACE", "ops"));

    assertThat(config)
        .isEqualTo(
            new OperatorConfig(
                "ops",
                8080,
                Optional.empty(),
                false,
                16,
                Duration.ofHours(10),
                Optional.empty(),
                "microvm-operator-leader"));
  }

  @Test
  void everySettingFromTheEnvironment() {
    OperatorConfig config =
        OperatorConfig.fromEnvironment(
            Map.of(
                "OPERATOR_NAMESPACE", "mvo-system",
                "HEALTH_PORT", "9090",
                "HEALTH_ADDRESS", "127.0.0.1",
                "LEADER_ELECTION", "true",
                "RECONCILE_THREADS", "4",
                "RESYNC_INTERVAL", "1h30m",
                "WATCH_LABEL_SELECTOR", "sharding.microvm-operator.io/key=shard1",
                "LEADER_ELECTION_ID", "microvm-operator-leader-shard1"));

    assertThat(config)
        .isEqualTo(
            new OperatorConfig(
                "mvo-system",
                9090,
                Optional.of("127.0.0.1"),
                true,
                4,
                Duration.ofMinutes(90),
                Optional.of("sharding.microvm-operator.io/key=shard1"),
                "microvm-operator-leader-shard1"));
  }

  @Test
  void aHealthAddressThatIsANameIsRefused() {
    assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("HEALTH_ADDRESS", "localhost")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("HEALTH_ADDRESS=localhost is not an IP address");
    assertThat(OperatorConfig.fromEnvironment(Map.of("HEALTH_ADDRESS", "::1")).healthAddress())
        .contains("::1");
  }

  @Test
  void aResyncIntervalThatIsNoDurationIsRefusedByName() {
    assertThatThrownBy(
            () -> OperatorConfig.fromEnvironment(Map.of("RESYNC_INTERVAL", "ten minutes")))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RESYNC_INTERVAL=ten minutes");
    assertThatThrownBy(() -> OperatorConfig.fromEnvironment(Map.of("RESYNC_INTERVAL", "0s")))
        .hasMessageContaining("RESYNC_INTERVAL=0s");
  }
}
