package io.microvmoperator.app;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMStatus.Phase;
import io.microvmoperator.reconcile.metrics.DomainMetrics;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Supplier;

/**
 * The operator's own metrics, for alerts (docs/operations.md lists them). Labels come from small
 * fixed sets; only the host metrics carry a MicroVMHost's name, and go with the host.
 *
 * <ul>
 *   <li>{@code microvm_operator_host_last_probe_success_age_seconds{host}}: seconds since this
 *       replica's last successful probe of the host (since it first tried, when none succeeded);
 *       only on the replica that probes (the leader), absent while the host is suspended
 *   <li>{@code microvm_operator_deploys_total{reason}}: {@code Deployed}, {@code DeployFailed},
 *       {@code StartFailed}
 *   <li>{@code microvm_operator_rollbacks_total{cause}}: {@code UnitFailed}, {@code StartFailed},
 *       {@code CrashLoop}
 *   <li>{@code microvm_operator_build_failures_total{kind, reason}}: builds and fetches this
 *       replica saw start that failed; kind {@code build} ({@code BuildFailed}, {@code
 *       EvaluationFailed}) or {@code fetch} ({@code FetchFailed}, {@code SignatureNotTrusted})
 *   <li>{@code microvm_operator_build_duration_seconds{kind, result}}: a histogram of the builds
 *       and fetches this replica saw start and end ({@code succeeded}, {@code failed})
 *   <li>{@code microvm_operator_microvms{phase}}: MicroVMs by {@code status.phase}, from the
 *       informer's cache (one not reconciled yet counts as {@code Pending})
 * </ul>
 */
final class OperatorMeters implements DomainMetrics {

  static final String HOST_AGE = "microvm_operator_host_last_probe_success_age_seconds";
  static final String DEPLOYS = "microvm_operator_deploys";
  static final String ROLLBACKS = "microvm_operator_rollbacks";
  static final String BUILD_FAILURES = "microvm_operator_build_failures";
  static final String BUILD_DURATION = "microvm_operator_build_duration";
  static final String MICROVMS = "microvm_operator_microvms";

  /** Builds take seconds (a runner whose inputs are cached) to hours (a kernel). */
  private static final Duration[] BUILD_BUCKETS = {
    Duration.ofSeconds(5),
    Duration.ofSeconds(15),
    Duration.ofSeconds(30),
    Duration.ofMinutes(1),
    Duration.ofMinutes(2),
    Duration.ofMinutes(5),
    Duration.ofMinutes(10),
    Duration.ofMinutes(20),
    Duration.ofMinutes(40),
    Duration.ofHours(1),
    Duration.ofHours(2),
    Duration.ofHours(4)
  };

  private final MeterRegistry meters;
  private final Clock clock;
  private final Map<String, HostProbeAge> hosts = new ConcurrentHashMap<>();
  private final Map<String, Timer.Sample> builds = new ConcurrentHashMap<>();

  OperatorMeters(MeterRegistry meters, Clock clock) {
    this.meters = meters;
    this.clock = clock;
    // Every known label value from the start, at 0, so that increase() sees the first one.
    List.of("Deployed", "DeployFailed", "StartFailed").forEach(this::deploys);
    List.of("UnitFailed", "StartFailed", "CrashLoop").forEach(this::rollbacks);
    List.of("BuildFailed", "EvaluationFailed").forEach(r -> buildFailures(false, r));
    List.of("FetchFailed", "SignatureNotTrusted").forEach(r -> buildFailures(true, r));
  }

  /** Gauges of the MicroVMs by phase, counted in {@code microVMs} at each scrape. */
  void countPhases(Supplier<List<MicroVM>> microVMs) {
    for (Phase phase : Phase.values()) {
      Gauge.builder(MICROVMS, microVMs, all -> count(all.get(), phase))
          .description("MicroVMs by status.phase (not reconciled yet: Pending)")
          .tag("phase", phase.name())
          .strongReference(true)
          .register(meters);
    }
  }

  private static double count(List<MicroVM> all, Phase phase) {
    return all.stream()
        .filter(
            vm ->
                Optional.ofNullable(vm.getStatus()).map(s -> s.phase()).orElse(Phase.Pending)
                    == phase)
        .count();
  }

  @Override
  public void hostProbed(String host, boolean succeeded) {
    HostProbeAge age =
        hosts.computeIfAbsent(
            host,
            name -> {
              HostProbeAge created = new HostProbeAge(clock.instant());
              created.gauge =
                  Gauge.builder(HOST_AGE, created, a -> a.seconds(clock.instant()))
                      .description(
                          "Seconds since the last successful probe of the host by this replica"
                              + " (since its first probe, when none succeeded)")
                      .tag("host", name)
                      .strongReference(true)
                      .register(meters);
              return created;
            });
    if (succeeded) {
      age.lastSuccess = clock.instant();
    }
  }

  @Override
  public void hostForgotten(String host) {
    HostProbeAge age = hosts.remove(host);
    if (age != null && age.gauge != null) {
      meters.remove(age.gauge);
    }
  }

  @Override
  public void deployed(String reason) {
    deploys(reason).increment();
  }

  @Override
  public void rolledBack(String cause) {
    rollbacks(cause).increment();
  }

  @Override
  public void buildStarted(String vmKey, boolean prebuilt) {
    builds.put(vmKey, Timer.start(meters));
  }

  /**
   * Counts and times a build once: when this replica saw it start. A failed build is read again at
   * every reconcile of its stalled MicroVM; one that started before this replica did (a restart, a
   * new leader) is not counted at all.
   */
  @Override
  public void buildEnded(String vmKey, boolean prebuilt, String result) {
    Timer.Sample sample = builds.remove(vmKey);
    if (sample == null) {
      return;
    }
    boolean succeeded = "Succeeded".equals(result);
    if (!succeeded) {
      buildFailures(prebuilt, result).increment();
    }
    sample.stop(
        Timer.builder(BUILD_DURATION)
            .description("Duration of the builds and fetches of runners on hosts")
            .tag("kind", kind(prebuilt))
            .tag("result", succeeded ? "succeeded" : "failed")
            .serviceLevelObjectives(BUILD_BUCKETS)
            .register(meters));
  }

  @Override
  public void microVMForgotten(String vmKey) {
    builds.remove(vmKey);
  }

  private Counter deploys(String reason) {
    return Counter.builder(DEPLOYS)
        .description("Deploys of runners to hosts, by the reason of the Event that ended them")
        .tag("reason", reason)
        .register(meters);
  }

  private Counter rollbacks(String cause) {
    return Counter.builder(ROLLBACKS)
        .description("Automatic rollbacks of runners that did not keep running, by cause")
        .tag("cause", cause)
        .register(meters);
  }

  private Counter buildFailures(boolean prebuilt, String reason) {
    return Counter.builder(BUILD_FAILURES)
        .description("Builds and fetches of runners that failed, by reason")
        .tag("kind", kind(prebuilt))
        .tag("reason", reason)
        .register(meters);
  }

  private static String kind(boolean prebuilt) {
    return prebuilt ? "fetch" : "build";
  }

  /** When a host was last probed successfully (or first probed, before any success). */
  private static final class HostProbeAge {
    private final Instant firstProbe;
    private volatile Instant lastSuccess;
    private Gauge gauge;

    HostProbeAge(Instant firstProbe) {
      this.firstProbe = firstProbe;
    }

    double seconds(Instant now) {
      Instant since = lastSuccess != null ? lastSuccess : firstProbe;
      return Math.max(0, Duration.between(since, now).toMillis() / 1000.0);
    }
  }
}
