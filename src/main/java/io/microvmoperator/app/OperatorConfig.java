package io.microvmoperator.app;

import io.microvmoperator.reconcile.kube.Durations;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * The operator's settings, from environment variables.
 *
 * @param namespace where the operator runs and reads SSH key Secrets ({@code OPERATOR_NAMESPACE},
 *     else the in-cluster service account's namespace, else {@code microvm-operator})
 * @param healthPort port of {@code /healthz}, {@code /readyz} and {@code /metrics} ({@code
 *     HEALTH_PORT}, 8080; 0 picks a free one, -1 disables)
 * @param healthAddress the IP address that port listens on ({@code HEALTH_ADDRESS}, e.g. {@code
 *     127.0.0.1}); empty: every interface, as a pod's probes need
 * @param leaderElection whether replicas elect a leader through a Lease in {@code namespace}
 *     ({@code LEADER_ELECTION}, false); only the leader reconciles
 * @param reconcileThreads how many reconciles run at once across all hosts ({@code
 *     RECONCILE_THREADS}, 16)
 * @param resyncInterval the longest time a MicroVM or MicroVMHost goes without a reconcile when no
 *     event arrives ({@code RESYNC_INTERVAL}, a duration such as {@code 30m}; 10h)
 * @param shard the label selector of the MicroVMs and MicroVMHosts this operator watches ({@code
 *     WATCH_LABEL_SELECTOR}, e.g. {@code sharding.microvm-operator.io/key=shard1}, or {@code
 *     !sharding.microvm-operator.io/key} for the operator that keeps what no shard has); empty: all
 *     of them
 * @param leaseName the Lease leader election uses ({@code LEADER_ELECTION_ID}, {@code
 *     microvm-operator-leader}); each shard needs its own
 */
public record OperatorConfig(
    String namespace,
    int healthPort,
    Optional<String> healthAddress,
    boolean leaderElection,
    int reconcileThreads,
    Duration resyncInterval,
    Optional<String> shard,
    String leaseName) {

  static final Duration DEFAULT_RESYNC_INTERVAL = Duration.ofHours(10);
  static final String DEFAULT_LEASE_NAME = "microvm-operator-leader";

  /** The settings for running in a test or demo: no HTTP endpoints, no leader election. */
  public static OperatorConfig embedded(String namespace) {
    return new OperatorConfig(
        namespace,
        -1,
        Optional.empty(),
        false,
        16,
        DEFAULT_RESYNC_INTERVAL,
        Optional.empty(),
        DEFAULT_LEASE_NAME);
  }

  /** These settings for one shard: the objects that match {@code selector}. */
  public OperatorConfig inShard(String selector) {
    return new OperatorConfig(
        namespace,
        healthPort,
        healthAddress,
        leaderElection,
        reconcileThreads,
        resyncInterval,
        Optional.of(selector),
        leaseName);
  }

  private static final Path SERVICE_ACCOUNT_NAMESPACE =
      Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");

  public static OperatorConfig fromEnvironment(Map<String, String> env) {
    String namespace =
        Optional.ofNullable(env.get("OPERATOR_NAMESPACE"))
            .or(OperatorConfig::serviceAccountNamespace)
            .orElse("microvm-operator");
    int healthPort = Integer.parseInt(env.getOrDefault("HEALTH_PORT", "8080"));
    Optional<String> healthAddress =
        Optional.ofNullable(env.get("HEALTH_ADDRESS"))
            .map(String::strip)
            .filter(x -> !x.isEmpty())
            .map(OperatorConfig::ipAddress);
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
    Optional<String> shard =
        Optional.ofNullable(env.get("WATCH_LABEL_SELECTOR"))
            .map(String::strip)
            .filter(x -> !x.isEmpty());
    String lease = env.getOrDefault("LEADER_ELECTION_ID", DEFAULT_LEASE_NAME);
    return new OperatorConfig(
        namespace, healthPort, healthAddress, leaderElection, threads, resync, shard, lease);
  }

  private static final Pattern IPV4 = Pattern.compile("\\d{1,3}(\\.\\d{1,3}){3}");
  private static final Pattern IPV6 = Pattern.compile("[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*");

  /** An IP address as written, refused when it is a name (which would need a DNS lookup). */
  private static String ipAddress(String text) {
    if (!IPV4.matcher(text).matches() && !IPV6.matcher(text).matches()) {
      throw new IllegalArgumentException(
          "HEALTH_ADDRESS=" + text + " is not an IP address such as 127.0.0.1 or ::1");
    }
    return text;
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
