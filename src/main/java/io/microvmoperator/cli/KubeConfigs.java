package io.microvmoperator.cli;

import io.fabric8.kubernetes.client.Config;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads the kubeconfig as kubectl does: {@code --kubeconfig}, {@code $KUBECONFIG}, ~/.kube. */
final class KubeConfigs {

  private KubeConfigs() {}

  static Config load(KubeOptions options) {
    if (options.kubeconfig != null) {
      if (!Files.isReadable(Path.of(options.kubeconfig))) {
        throw new CliException("cannot read the kubeconfig " + options.kubeconfig);
      }
      // fabric8 reads the file named by this property (it takes precedence over $KUBECONFIG).
      System.setProperty(Config.KUBERNETES_KUBECONFIG_FILE, options.kubeconfig);
    }
    Config config = Config.autoConfigure(options.context);
    if (options.context != null
        && (config.getCurrentContext() == null
            || !options.context.equals(config.getCurrentContext().getName()))) {
      throw new CliException("context \"" + options.context + "\" not found in the kubeconfig");
    }
    // A person waits for the answer: fail fast instead of fabric8's retries with back-off.
    config.setRequestRetryBackoffLimit(0);
    config.setConnectionTimeout(5_000);
    config.setRequestTimeout(options.requestTimeoutSeconds * 1_000);
    return config;
  }
}
