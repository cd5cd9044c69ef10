package io.microvmoperator.install;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.microvmoperator.testenv.Commands;
import io.microvmoperator.testenv.ExecResult;
import io.microvmoperator.testenv.Helm;
import io.microvmoperator.testenv.OperatorProcess;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.jar.JarFile;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The image cannot be built here (no container engine), so this checks what the Dockerfile relies
 * on: the packaged jar needs only the libraries in target/lib, and the user, port and command agree
 * with the Helm chart's Deployment.
 */
class DockerfileIT {

  private static final Path DOCKERFILE = Path.of("Dockerfile");

  @Test
  void theJarNeedsOnlyTheLibrariesTheImageCopies() throws IOException {
    try (JarFile file = new JarFile(OperatorProcess.jar().toFile())) {
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
        .contains("\"-jar\", \"/opt/microvm-operator/microvm-operator.jar\"]");
  }

  /**
   * Stage 2's training run and its ENTRYPOINT, as the Dockerfile writes them, with the image's
   * folder moved to a temporary one: the archive is written, and the entrypoint's JVM maps it (the
   * operator's own classes come from it) and starts the operator.
   */
  @Test
  void theImagesClassDataArchiveIsTrainedAndTheEntrypointMapsIt(@TempDir Path tmp)
      throws Exception {
    Path opt = tmp.resolve("opt");
    Files.createDirectories(opt.resolve("lib"));
    try (Stream<Path> libs = Files.list(Path.of("target", "lib"))) {
      for (Path lib : libs.toList()) {
        Files.copy(lib, opt.resolve("lib").resolve(lib.getFileName()));
      }
    }
    Files.copy(OperatorProcess.jar(), opt.resolve("microvm-operator.jar"));
    String dockerfile = Files.readString(DOCKERFILE).replace("\\\n", " ");
    String training =
        instruction(dockerfile, "RUN sh /tmp/class-data-archive.sh")
            .replaceFirst(" && rm .*", "")
            .replace(
                "/tmp/class-data-archive.sh",
                Path.of("hack/class-data-archive.sh").toAbsolutePath().toString())
            .replace("/opt/microvm-operator", opt.toString());
    ExecResult trained =
        Commands.run(List.of("sh", "-c", training), Map.of(), Duration.ofMinutes(2));
    assertThat(trained.exitCode()).as(trained.stderr()).isZero();
    assertThat(opt.resolve("microvm-operator.jsa")).isNotEmptyFile();

    List<String> entrypoint = new ArrayList<>();
    new ObjectMapper()
        .readTree(
            instruction(dockerfile, "ENTRYPOINT ").replace("/opt/microvm-operator", opt.toString()))
        .forEach(argument -> entrypoint.add(argument.asText()));
    Path kubeconfig = tmp.resolve("kubeconfig");
    Files.writeString(
        kubeconfig,
        "apiVersion: v1\nkind: Config\nclusters: [{name: none, cluster: {server:"
            + " \"https://127.0.0.1:1\"}}]\nusers: [{name: none, user: {token: none}}]\ncontexts:"
            + " [{name: none, context: {cluster: none, user: none}}]\ncurrent-context: none\n");
    ProcessBuilder builder = new ProcessBuilder(entrypoint).redirectErrorStream(true);
    builder.environment().put("KUBECONFIG", kubeconfig.toString());
    builder.environment().put("HEALTH_PORT", "-1");
    Path classes = tmp.resolve("classes.txt");
    builder
        .environment()
        .put("JAVA_TOOL_OPTIONS", "-Xshare:on -Xlog:class+load=info:file=" + classes);
    Process operator = builder.start();
    try (BufferedReader out =
        new BufferedReader(
            new InputStreamReader(operator.getInputStream(), StandardCharsets.UTF_8))) {
      boolean started = false;
      String line;
      while (!started && (line = out.readLine()) != null) {
        started = line.contains("Operator SDK") && line.contains("starting...");
      }
      assertThat(started).as("the operator starts with -Xshare:on").isTrue();
    } finally {
      operator.destroy();
      operator.waitFor();
    }
    assertThat(Files.readAllLines(classes))
        .filteredOn(l -> l.contains(" io.microvmoperator.app.Main "))
        .as("where the operator's main class came from")
        .singleElement()
        .asString()
        .endsWith(" source: shared objects file (top)");
  }

  private static String instruction(String dockerfile, String start) {
    return dockerfile
        .lines()
        .filter(l -> l.startsWith(start))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no " + start + " in the Dockerfile"))
        .substring(start.indexOf(' ') + 1)
        .strip();
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
