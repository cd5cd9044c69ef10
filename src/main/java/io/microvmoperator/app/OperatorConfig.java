package io.microvmoperator.app;

import io.microvmoperator.reconcile.kube.Durations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;

/**
 * The operator's settings, from environment variables.
 *
 * @param namespace where the operator runs and reads SSH key Secrets ({@code OPERATOR_NAMESPACE},
 *     else the in-cluster service account's namespace, else {@code microvm-operator})
 * @param healthPort port of {@code /healthz}, {@code /readyz} and {@code /metrics} ({@code
 *     HEALTH_PORT}, 8080; 0 picks a free one, -1 disables)
 * @param leaderElection whether replicas elect a leader through a Lease in {@code namespace}
 *     ({@code LEADER_ELECTION}, false); only the leader reconciles
 * @param reconcileThreads how many reconciles run at once across all hosts ({@code
 *     RECONCILE_THREADS}, 16)
 * @param resyncInterval the longest time a MicroVM or MicroVMHost goes without a reconcile when no
 *     event arrives ({@code RESYNC_INTERVAL}, a duration such as {@code 30m}; 10h)
 */
public record OperatorConfig(
    String namespace,
    int healthPort,
    boolean leaderElection,
    int reconcileThreads,
    Duration resyncInterval) {

  static final Duration DEFAULT_RESYNC_INTERVAL = Duration.ofHours(10);

  /** The settings for running in a test or demo: no HTTP endpoints, no leader election. */
  public static OperatorConfig embedded(String namespace) {
    return new OperatorConfig(namespace, -1, false, 16, DEFAULT_RESYNC_INTERVAL);
  }

  private static final Path SERVICE_ACCOUNT_NAMESPACE =
      Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");

  public static OperatorConfig fromEnvironment(Map<String, String> env) {
    String namespace =
        Optional.ofNullable(env.get("OPERATOR_NAMESPACE"))
            .or(OperatorConfig::serviceAccountNamespace)
            .orElse("microvm-operator");
    int healthPort = Integer.parseInt(env.getOrDefault("HEALTH_PORT", "8080"));
    boolean leaderElection = Boolean.parseBoolean(env.getOrDefault("LEADER_ELECTION", "false"));
    int threads = Integer.parseInt(env.getOrDefault("RECONCILE_THREADS", "16"));
    Duration resync =
        Optional.ofNullable(env.get("RESYNC_INTERVAL"))
            .map(
                text ->
                    Durations.tryParse(text)
                        .orElseThrow(
                            () ->
                                new IllegalArgumentException(
                                    "RESYNC_INTERVAL="
                                        + text
                                        + " is not a duration such as 30m or 1h30m")))
            .orElse(DEFAULT_RESYNC_INTERVAL);
    return new OperatorConfig(namespace, healthPort, leaderElection, threads, resync);
  }

  private static Optional<String> serviceAccountNamespace() {
    try {
      return Files.exists(SERVICE_ACCOUNT_NAMESPACE)
          ? Optional.of(Files.readString(SERVICE_ACCOUNT_NAMESPACE).trim())
          : Optional.empty();
    } catch (IOException e) {
      return Optional.empty();
    }
  }
}
