package io.microvmoperator.gitops;

import io.microvmoperator.testenv.Commands;
import io.microvmoperator.testenv.ExecResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Runs the Argo CD health checks in {@code gitops/argocd} with Debian's Lua 5.1 (Argo CD's Lua is
 * 5.1) and the libraries Argo CD opens for a check from argocd-cm, through {@code
 * gitops/argocd/health-test-runner.lua}.
 */
final class ArgoCdHealth {

  static final Path ARGOCD = Path.of("gitops/argocd");
  static final Path CUSTOMIZATIONS = ARGOCD.resolve("resource_customizations/microvm-operator.io");

  /** What health.lua says about one object: Argo CD's status and message. */
  record Health(String status, String message) {}

  private ArgoCdHealth() {}

  /** Runs every health_test.yaml of {@code kinds} (folders under CUSTOMIZATIONS or elsewhere). */
  static ExecResult runTests(List<Path> kindFolders) {
    List<String> argv = new ArrayList<>(List.of("lua5.1", runner()));
    kindFolders.forEach(folder -> argv.add(folder.toString()));
    return Commands.run(argv, Map.of(), Duration.ofMinutes(1));
  }

  /**
   * The health of {@code objectYaml} (as {@code kubectl get -o yaml} prints it) for {@code kind}.
   */
  static Health check(String kind, String objectYaml) {
    try {
      Path file = Files.createTempFile("argocd-health-", ".yaml");
      try {
        Files.writeString(file, objectYaml);
        ExecResult result =
            Commands.run(
                List.of(
                    "lua5.1",
                    runner(),
                    "--check",
                    CUSTOMIZATIONS.resolve(kind).toString(),
                    file.toString()),
                Map.of(),
                Duration.ofMinutes(1));
        result.orThrow("health.lua of " + kind);
        String[] parts = result.stdout().stripTrailing().split("\t", 2);
        return new Health(parts[0], parts.length > 1 ? parts[1] : "");
      } finally {
        Files.deleteIfExists(file);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static String runner() {
    return ARGOCD.resolve("health-test-runner.lua").toString();
  }
}
