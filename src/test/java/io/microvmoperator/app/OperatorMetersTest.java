package io.microvmoperator.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.microvmoperator.testenv.TestClock;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The operator's own metrics as Prometheus' registry writes them. */
class OperatorMetersTest {

  private Instant now = Instant.parse("2026-01-01T00:00:00Z");
  private final PrometheusMeterRegistry registry =
      new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final OperatorMeters meters = new OperatorMeters(registry, TestClock.of(() -> now));

  @Test
  void aHostsAgeCountsFromItsLastSuccessfulProbeAndGoesWithTheHost() {
    meters.hostProbed("h1", false);
    now = now.plusSeconds(30);
    assertThat(registry.scrape())
        .as("never reached: counted from the first probe")
        .contains("microvm_operator_host_last_probe_success_age_seconds{host=\"h1\"} 30.0");

    meters.hostProbed("h1", true);
    now = now.plusSeconds(5);
    meters.hostProbed("h1", false);
    now = now.plusSeconds(7);
    assertThat(registry.scrape())
        .contains("microvm_operator_host_last_probe_success_age_seconds{host=\"h1\"} 12.0");

    meters.hostForgotten("h1");
    assertThat(registry.scrape()).doesNotContain("host=\"h1\"");
  }

  @Test
  void everyReasonIsThereFromTheStartAndCountsUp() {
    assertThat(registry.scrape())
        .contains("microvm_operator_deploys_total{reason=\"DeployFailed\"} 0.0")
        .contains("microvm_operator_rollbacks_total{cause=\"CrashLoop\"} 0.0")
        .contains(
            "microvm_operator_build_failures_total{kind=\"fetch\",reason=\"SignatureNotTrusted\"}"
                + " 0.0");

    meters.deployed("Deployed");
    meters.rolledBack("UnitFailed");
    assertThat(registry.scrape())
        .contains("microvm_operator_deploys_total{reason=\"Deployed\"} 1.0")
        .contains("microvm_operator_rollbacks_total{cause=\"UnitFailed\"} 1.0");
  }

  @Test
  void aBuildThisReplicaSawStartIsTimedOnceAndAFailureCounted() {
    meters.buildStarted("ns/web", false);
    meters.buildEnded("ns/web", false, "EvaluationFailed");
    // read again at the next reconcile of the stalled MicroVM: not a second failure
    meters.buildEnded("ns/web", false, "EvaluationFailed");
    // one that started before this replica did: neither counted nor timed
    meters.buildEnded("ns/other", false, "BuildFailed");

    String scrape = registry.scrape();
    assertThat(scrape)
        .contains(
            "microvm_operator_build_failures_total{kind=\"build\",reason=\"EvaluationFailed\"} 1.0")
        .contains(
            "microvm_operator_build_duration_seconds_count{kind=\"build\",result=\"failed\"} 1")
        .contains(
            "microvm_operator_build_duration_seconds_bucket{kind=\"build\",result=\"failed\","
                + "le=\"300.0\"} 1")
        .contains(
            "microvm_operator_build_failures_total{kind=\"build\",reason=\"BuildFailed\"} 0.0");
  }

  @Test
  void microVMsAreCountedByPhase() {
    meters.countPhases(List::of);
    assertThat(registry.scrape())
        .contains("microvm_operator_microvms{phase=\"Running\"} 0.0")
        .contains("microvm_operator_microvms{phase=\"Pending\"} 0.0");
  }
}
