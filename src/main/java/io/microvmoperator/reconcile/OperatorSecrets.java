package io.microvmoperator.reconcile;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Reads the Secrets of the operator's namespace (where the hosts' SSH keys are) one by name, as its
 * Role allows ({@code get} only, no list or watch). Each read asks the API server, so a rotated key
 * is used at the next connection; while the API server cannot answer, the Secret last read is used,
 * so that hosts stay reachable (and their VMs converged) during an outage. A Secret found deleted
 * is forgotten.
 *
 * <p>Reads go through a client of their own that does not retry and gives up after {@link
 * #READ_TIMEOUT}: the shared client retries a failed request with a back-off of up to 100 s in all,
 * which would hold a probe that long before the last read Secret could be used.
 */
public final class OperatorSecrets implements AutoCloseable {

  static final Duration READ_TIMEOUT = Duration.ofSeconds(5);

  private final KubernetesClient client;
  private final String namespace;
  private final Map<String, Secret> lastRead = new ConcurrentHashMap<>();

  public OperatorSecrets(KubernetesClient shared, String namespace) {
    Config config =
        new ConfigBuilder(shared.getConfiguration())
            .withRequestRetryBackoffLimit(0)
            .withRequestTimeout((int) READ_TIMEOUT.toMillis())
            .withConnectionTimeout((int) READ_TIMEOUT.toMillis())
            .build();
    this.client = new KubernetesClientBuilder().withConfig(config).build();
    this.namespace = namespace;
  }

  public String namespace() {
    return namespace;
  }

  public Optional<Secret> get(String name) {
    Secret secret;
    try {
      secret = client.secrets().inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      Secret known = lastRead.get(name);
      if (known != null && apiServerUnavailable(e)) {
        return Optional.of(known);
      }
      throw e;
    }
    if (secret == null) {
      lastRead.remove(name);
    } else {
      lastRead.put(name, secret);
    }
    return Optional.ofNullable(secret);
  }

  @Override
  public void close() {
    client.close();
  }

  /**
   * No answer at all (connection refused, timed out: no HTTP status), throttled, or a server error;
   * not a refusal such as 403.
   */
  private static boolean apiServerUnavailable(KubernetesClientException e) {
    return e.getCode() <= 0 || e.getCode() == 429 || e.getCode() >= 500;
  }
}
