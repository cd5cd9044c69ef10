package io.microvmoperator.environment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.testenv.KubeControlPlane;
import io.microvmoperator.testenv.OperatorHarness;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/** The control plane the operator is proven against is a real one: schema, CEL, status, SSA. */
class ControlPlaneIT {

  @RegisterExtension static KubeControlPlane k8s = KubeControlPlane.shared();

  private static final String NS = "control-plane-it";
  private static KubernetesClient client;

  @BeforeAll
  static void createNamespace() {
    client = k8s.client();
    OperatorHarness.ensureNamespace(client, NS);
  }

  @AfterAll
  static void closeClient() {
    client.close();
  }

  @Test
  void crdsAreEstablished() {
    assertThat(
            client.apiextensions().v1().customResourceDefinitions().list().getItems().stream()
                .map(crd -> crd.getMetadata().getName()))
        .contains("microvms.microvm-operator.io", "microvmhosts.microvm-operator.io");
  }

  @Test
  void rejectsAnObjectThatViolatesASchemaPattern() {
    MicroVM bad = microVM("bad-host", spec("Not_A_Host;rm", "path:/srv/flake", null));

    assertThatThrownBy(() -> client.resource(bad).create())
        .isInstanceOf(KubernetesClientException.class)
        .satisfies(e -> assertThat(((KubernetesClientException) e).getCode()).isEqualTo(422))
        .hasMessageContaining("spec.host");
    assertThat(client.resources(MicroVM.class).inNamespace(NS).withName("bad-host").get()).isNull();
  }

  @Test
  void rejectsAnObjectThatViolatesACelRule() {
    MicroVM twoSources =
        microVM(
            "two-sources",
            spec(
                "demo-host",
                "path:/srv/flake",
                "/nix/store/0123456789abcdfghijklmnpqrsvwxyz-microvm-run"));

    assertThatThrownBy(() -> client.resource(twoSources).create())
        .isInstanceOf(KubernetesClientException.class)
        .hasMessageContaining("set exactly one runner source");
  }

  @Test
  void appliesDefaultsAndServesStatusThroughServerSideApply() {
    client.resource(microVM("web", spec("demo-host", "path:/srv/flake", null))).serverSideApply();

    MicroVM stored = client.resources(MicroVM.class).inNamespace(NS).withName("web").get();
    assertThat(stored.getSpec().running()).isTrue();
    assertThat(stored.getSpec().restartPolicy()).isEqualTo(MicroVMSpec.RestartPolicy.OnChange);
    assertThat(stored.getSpec().interval()).isEqualTo("5m");

    MicroVM statusOnly = new MicroVM();
    statusOnly.setMetadata(new ObjectMetaBuilder().withName("web").withNamespace(NS).build());
    statusOnly.setStatus(
        new MicroVMStatus(
            stored.getMetadata().getGeneration(),
            MicroVMStatus.Phase.Pending,
            List.of(
                new ConditionBuilder()
                    .withType("Ready")
                    .withStatus("Unknown")
                    .withReason("Probing")
                    .withMessage("waiting for the first probe of demo-host")
                    .withLastTransitionTime("2026-11-25T18:00:00Z")
                    .build()),
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null,
            null));
    client
        .resources(MicroVM.class)
        .inNamespace(NS)
        .withName("web")
        .subresource("status")
        .patch(
            new PatchContext.Builder()
                .withPatchType(PatchType.SERVER_SIDE_APPLY)
                .withFieldManager("control-plane-it")
                .withForce(true)
                .build(),
            statusOnly);

    MicroVM after = client.resources(MicroVM.class).inNamespace(NS).withName("web").get();
    assertThat(after.getStatus().phase()).isEqualTo(MicroVMStatus.Phase.Pending);
    assertThat(after.getStatus().conditions()).extracting("type").containsExactly("Ready");
    assertThat(after.getSpec()).isEqualTo(stored.getSpec());
    assertThat(after.getMetadata().getGeneration())
        .as("a status write does not bump the generation")
        .isEqualTo(stored.getMetadata().getGeneration());
  }

  private static MicroVM microVM(String name, MicroVMSpec spec) {
    MicroVM vm = new MicroVM();
    vm.setMetadata(new ObjectMetaBuilder().withName(name).withNamespace(NS).build());
    vm.setSpec(spec);
    return vm;
  }

  private static MicroVMSpec spec(String host, String flake, String storePath) {
    return new MicroVMSpec(
        host, flake, null, null, storePath, null, null, null, null, null, null, null, null, null,
        null, null, null);
  }
}
