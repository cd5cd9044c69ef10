package io.microvmoperator.install;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.microvmoperator.testenv.Helm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The image cannot be built here (no container engine), so this checks what the Dockerfile relies
 * on: the packaged jar needs only the libraries in target/lib, and the user, port and command agree
 * with the Helm chart's Deployment.
 */
class DockerfileIT {

  private static final Path DOCKERFILE = Path.of("Dockerfile");

  @Test
  void theJarNeedsOnlyTheLibrariesTheImageCopies() throws IOException {
    Path jar;
    try (Stream<Path> files = Files.list(Path.of("target"))) {
      jar =
          files
              .filter(p -> p.getFileName().toString().matches("microvm-operator-.*\\.jar"))
              .findFirst()
              .orElseThrow();
    }
    try (JarFile file = new JarFile(jar.toFile())) {
      var attributes = file.getManifest().getMainAttributes();
      assertThat(attributes.getValue("Main-Class")).isEqualTo("io.microvmoperator.app.Main");
      String[] classPath = attributes.getValue("Class-Path").split(" ");
      assertThat(classPath).isNotEmpty();
      assertThat(Arrays.stream(classPath))
          .allSatisfy(
              entry -> {
                assertThat(entry).startsWith("lib/");
                assertThat(Path.of("target").resolve(entry)).exists();
              });
    }
    assertThat(Files.readString(DOCKERFILE))
        .contains("COPY --from=build /src/target/lib lib")
        .contains("COPY --from=build /src/target/microvm-operator-*.jar microvm-operator.jar")
        .contains(
            "ENTRYPOINT [\"java\", \"-jar\", \"/opt/microvm-operator/microvm-operator.jar\"]");
  }

  @Test
  void userAndPortMatchTheChart() throws IOException {
    Deployment deployment =
        Serialization.unmarshal(
            Helm.template("mvo", "mvo-system", "--show-only", "templates/deployment.yaml"),
            Deployment.class);
    var pod = deployment.getSpec().getTemplate().getSpec();
    String dockerfile = Files.readString(DOCKERFILE);

    assertThat(dockerfile)
        .contains(
            "USER "
                + pod.getSecurityContext().getRunAsUser()
                + ":"
                + pod.getSecurityContext().getRunAsGroup())
        .contains("EXPOSE " + pod.getContainers().get(0).getPorts().get(0).getContainerPort());
    assertThat(pod.getContainers().get(0).getImage()).startsWith("microvm-operator:");
    assertThat(dockerfile).contains("docker build -t microvm-operator:");
  }
}
