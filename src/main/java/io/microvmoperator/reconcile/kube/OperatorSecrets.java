package io.microvmoperator.reconcile.kube;

import io.fabric8.kubernetes.api.model.Secret;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.ConfigBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.fabric8.kubernetes.client.KubernetesClientException;
import java.io.IOException;
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
 * which would hold a probe that long before the last read Secret could be used. (Java's HTTP client
 * still sends a GET once more, at once, when the connection closed without an answer.) When the API
 * server does not answer and no Secret was read before, the read fails with an {@link IOException}
 * that names the Secret, as a host that cannot be reached does: the next probe tries again, and
 * nothing is logged as an error.
 */
public final class OperatorSecrets implements AutoCloseable {

  public static final Duration READ_TIMEOUT = Duration.ofSeconds(5);

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

  public Optional<Secret> get(String name) throws IOException {
    Secret secret;
    try {
      secret = client.secrets().inNamespace(namespace).withName(name).get();
    } catch (KubernetesClientException e) {
      if (!ApiServerErrors.unavailable(e)) {
        throw e;
      }
      Secret known = lastRead.get(name);
      if (known != null) {
        return Optional.of(known);
      }
      throw new IOException(
          "cannot read Secret "
              + namespace
              + "/"
              + name
              + ": the API server did not answer ("
              + e.getMessage()
              + ")",
          e);
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
}
