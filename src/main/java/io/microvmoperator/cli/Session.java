package io.microvmoperator.cli;

import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;

/** One run of the plugin: its output streams and its connection to the API server. */
public final class Session implements AutoCloseable {

  /** The field manager of every change the plugin makes. */
  public static final String FIELD_MANAGER = "kubectl-microvm";

  private final Io io;
  private final KubeOptions options;
  private Config config;
  private KubernetesClient client;

  Session(Io io, KubeOptions options) {
    this.io = io;
    this.options = options;
  }

  public Io io() {
    return io;
  }

  /** The client, connected on first use. */
  public synchronized KubernetesClient client() {
    if (client == null) {
      client = new KubernetesClientBuilder().withConfig(config()).build();
    }
    return client;
  }

  /** {@code -n}, else the kubeconfig context's namespace, else {@code default}. */
  public String namespace() {
    if (options.namespace != null) {
      return options.namespace;
    }
    String fromContext = config().getNamespace();
    return fromContext == null || fromContext.isEmpty() ? "default" : fromContext;
  }

  /** The API server's URL, for messages. */
  public String server() {
    return config().getMasterUrl();
  }

  synchronized Config config() {
    if (config == null) {
      config = KubeConfigs.load(options);
    }
    return config;
  }

  @Override
  public synchronized void close() {
    if (client != null) {
      client.close();
    }
  }
}
