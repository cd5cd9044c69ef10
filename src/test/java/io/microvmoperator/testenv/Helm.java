package io.microvmoperator.testenv;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The helm binary of the release pinned in pom.xml ({@code helm.version}), built by {@code
 * hack/helm-binary.sh} into {@code ~/.cache/microvm-operator/helm/<version>/}.
 */
public final class Helm {

  public static final Path CHART = Path.of("helm/microvm-operator");

  private Helm() {}

  public static Path binary() {
    String version = System.getProperty("helm.version");
    if (version == null) {
      throw new IllegalStateException(
          "system property helm.version is not set (the pom passes it to tests)");
    }
    Path cache =
        Optional.ofNullable(System.getenv("MICROVM_OPERATOR_CACHE"))
            .map(Path::of)
            .orElse(Path.of(System.getProperty("user.home"), ".cache/microvm-operator"));
    Path helm = cache.resolve("helm").resolve(version).resolve("helm");
    if (!Files.isExecutable(helm)) {
      throw new IllegalStateException(helm + " is missing: run hack/setup.sh");
    }
    return helm;
  }

  /** Runs {@code helm ARGS} (no cluster access: lint and template only). */
  public static ExecResult run(String... args) {
    List<String> argv = new ArrayList<>();
    argv.add(binary().toString());
    argv.addAll(List.of(args));
    return Commands.run(argv, Map.of(), Duration.ofMinutes(2));
  }

  /** {@code helm template RELEASE CHART -n NAMESPACE ARGS}; fails unless it succeeds. */
  public static String template(String release, String namespace, String... args) {
    List<String> argv = new ArrayList<>(List.of("template", release, CHART.toString()));
    argv.addAll(List.of("--namespace", namespace));
    argv.addAll(List.of(args));
    return run(argv.toArray(String[]::new)).orThrow("helm template").stdout();
  }
}
