package io.microvmoperator.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;

/**
 * The operator's settings, from environment variables.
 *
 * @param namespace where the operator runs and reads SSH key Secrets ({@code OPERATOR_NAMESPACE},
 *     else the in-cluster service account's namespace, else {@code microvm-operator})
 * @param healthPort port of {@code /healthz} and {@code /readyz} ({@code HEALTH_PORT}, 8080; 0
 *     picks a free one, -1 disables)
 */
public record OperatorConfig(String namespace, int healthPort) {

  private static final Path SERVICE_ACCOUNT_NAMESPACE =
      Path.of("/var/run/secrets/kubernetes.io/serviceaccount/namespace");

  public static OperatorConfig fromEnvironment(Map<String, String> env) {
    String namespace =
        Optional.ofNullable(env.get("OPERATOR_NAMESPACE"))
            .or(OperatorConfig::serviceAccountNamespace)
            .orElse("microvm-operator");
    int healthPort = Integer.parseInt(env.getOrDefault("HEALTH_PORT", "8080"));
    return new OperatorConfig(namespace, healthPort);
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
