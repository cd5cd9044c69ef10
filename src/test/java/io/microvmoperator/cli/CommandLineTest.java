package io.microvmoperator.cli;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.FieldsV1;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.reconcile.kube.Annotations;
import io.microvmoperator.testenv.MicroVMSpecBuilder;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import picocli.CommandLine;

/** Flags as kubectl users type them, and what an apply of the plugin carries. */
class CommandLineTest {

  @Test
  void theNamespaceFlagIsTakenBeforeAndAfterTheSubcommand() {
    for (String[] args :
        List.of(new String[] {"-n", "x", "list"}, new String[] {"list", "-n", "x"})) {
      KubectlMicrovm root = new KubectlMicrovm();
      new CommandLine(root).parseArgs(args);
      assertThat(root.kube.namespace).as(String.join(" ", args)).isEqualTo("x");
    }
  }

  @Test
  void aWrongFlagOrOutputIsOneLineAndExitCodeOne() {
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = run(err, "list", "--bogus");
    assertThat(code).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .startsWith("error: Unknown option: '--bogus'")
        .hasLineCount(1);
  }

  @Test
  void anUnreachableApiServerIsOneLineAndExitCodeOne() throws Exception {
    java.nio.file.Path kubeconfig = java.nio.file.Files.createTempFile("kubeconfig", ".yaml");
    java.nio.file.Files.writeString(
        kubeconfig,
        """
        apiVersion: v1
        kind: Config
        clusters: [{name: c, cluster: {server: "https://127.0.0.1:1"}}]
        users: [{name: u, user: {token: t}}]
        contexts: [{name: ctx, context: {cluster: c, user: u}}]
        current-context: ctx
        """);
    ByteArrayOutputStream err = new ByteArrayOutputStream();
    int code = run(err, "list", "--kubeconfig", kubeconfig.toString());
    assertThat(code).isEqualTo(1);
    assertThat(err.toString(StandardCharsets.UTF_8))
        .startsWith("error: cannot reach the Kubernetes API server at https://127.0.0.1:1")
        .endsWith(": connection refused\n")
        .hasLineCount(1);
    ByteArrayOutputStream err2 = new ByteArrayOutputStream();
    assertThat(run(err2, "list", "--kubeconfig", kubeconfig.toString(), "--context", "nope"))
        .isEqualTo(1);
    assertThat(err2.toString(StandardCharsets.UTF_8).trim())
        .isEqualTo("error: context \"nope\" not found in the kubeconfig");
  }

  @Test
  void anApplyKeepsTheFieldsThePluginOwnedBeforeAndNothingElse() {
    MicroVM vm = new MicroVM();
    vm.setMetadata(
        new ObjectMetaBuilder()
            .withName("web")
            .withNamespace("team")
            .withAnnotations(Map.of("other", "x", Annotations.RESTART_REQUESTED_AT, "t0"))
            .withManagedFields(
                new ManagedFieldsEntryBuilder()
                    .withManager(Session.FIELD_MANAGER)
                    .withOperation("Apply")
                    .withFieldsV1(fields(Map.of("f:spec", Map.of("f:suspend", Map.of()))))
                    .build(),
                new ManagedFieldsEntryBuilder()
                    .withManager("kubectl-annotate")
                    .withOperation("Update")
                    .withFieldsV1(
                        fields(
                            Map.of(
                                "f:metadata",
                                Map.of("f:annotations", Map.of("f:other", Map.of())))))
                    .build())
            .build());
    vm.setSpec(MicroVMSpecBuilder.flake("h1", "path:/tmp/f", "web").suspend(true).build());
    GenericKubernetesResource patch =
        PluginApply.patchFor(vm, Change.annotation(Annotations.RECONCILE_REQUESTED_AT, "t1"));
    assertThat(patch.getMetadata().getAnnotations())
        .containsExactly(Map.entry(Annotations.RECONCILE_REQUESTED_AT, "t1"));
    assertThat(patch.getAdditionalProperties().get("spec")).isEqualTo(Map.of("suspend", true));
  }

  private static FieldsV1 fields(Map<String, Object> map) {
    FieldsV1 f = new FieldsV1();
    map.forEach(f::setAdditionalProperty);
    return f;
  }

  private static int run(ByteArrayOutputStream err, String... args) {
    return KubectlMicrovm.run(
        new Io(
            new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
            new PrintStream(err, true, StandardCharsets.UTF_8),
            new BufferedReader(new StringReader(""))),
        args);
  }
}
