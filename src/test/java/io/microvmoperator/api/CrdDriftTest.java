package io.microvmoperator.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The committed CRDs in crds/ are exactly what the build generates from the API classes. */
class CrdDriftTest {

  @ParameterizedTest
  @ValueSource(strings = {"microvms.microvm-operator.io", "microvmhosts.microvm-operator.io"})
  void committedCrdMatchesGenerated(String crd) throws IOException {
    Path generated = Path.of("target/classes/META-INF/fabric8", crd + "-v1.yml");
    Path committed = Path.of("crds", crd + ".yaml");

    assertThat(Files.readString(committed))
        .as("%s is stale: run hack/update-crds.sh and commit the result", committed)
        .isEqualTo(Files.readString(generated));
  }
}
