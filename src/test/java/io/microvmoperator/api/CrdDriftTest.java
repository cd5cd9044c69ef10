package io.microvmoperator.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The committed CRDs in crds/ and in the Helm chart (files/crds/, which templates/crds.yaml renders
 * with the release's labels; HelmChartIT checks the rendered result) are exactly what the build
 * generates from the API classes.
 */
class CrdDriftTest {

  @ParameterizedTest
  @CsvSource({
    "microvms.microvm-operator.io, crds",
    "microvmhosts.microvm-operator.io, crds",
    "microvms.microvm-operator.io, helm/microvm-operator/files/crds",
    "microvmhosts.microvm-operator.io, helm/microvm-operator/files/crds"
  })
  void committedCrdMatchesGenerated(String crd, String folder) throws IOException {
    Path generated = Path.of("target/classes/META-INF/fabric8", crd + "-v1.yml");
    Path committed = Path.of(folder, crd + ".yaml");

    assertThat(Files.readString(committed))
        .as("%s is stale: run hack/update-crds.sh and commit the result", committed)
        .isEqualTo(Files.readString(generated));
  }
}
