package io.microvmoperator.reconcile.kube;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Events as the operator writes them, against fabric8's mock API server (CRUD mode). */
@EnableKubernetesMockClient(crud = true)
class EventRecorderTest {

  KubernetesClient client;

  private final Clock clock = Clock.fixed(Instant.parse("2026-12-06T12:00:00Z"), ZoneOffset.UTC);

  @Test
  void aRepeatedEventIsCountedNotWrittenAgain() {
    EventRecorder events = new EventRecorder(client, clock);
    MicroVM web = microVM("team-a", "web");

    events.warning(web, "BuildFailed", "nix build failed");
    events.warning(web, "BuildFailed", "nix build failed");
    events.normal(web, "Deployed", "deployed v2");

    List<Event> written = client.v1().events().inNamespace("team-a").list().getItems();
    assertThat(written).hasSize(2);
    Event failed =
        written.stream().filter(e -> e.getReason().equals("BuildFailed")).findFirst().orElseThrow();
    assertThat(failed.getCount()).isEqualTo(2);
    assertThat(failed.getType()).isEqualTo("Warning");
    assertThat(failed.getInvolvedObject().getKind()).isEqualTo("MicroVM");
    assertThat(failed.getInvolvedObject().getName()).isEqualTo("web");
    assertThat(failed.getFirstTimestamp()).isEqualTo("2026-12-06T12:00:00Z");
    assertThat(failed.getSource().getComponent()).isEqualTo("microvm-operator");
  }

  @Test
  void aClusterScopedObjectsEventsGoToDefaultAndLongMessagesAreCut() {
    EventRecorder events = new EventRecorder(client, clock);
    MicroVMHost host = new MicroVMHost();
    host.setMetadata(new ObjectMetaBuilder().withName("h1").withUid("uid-h1").build());

    events.warning(host, "HostKeyMismatch", "x".repeat(5000));

    List<Event> written = client.v1().events().inNamespace("default").list().getItems();
    assertThat(written).hasSize(1);
    assertThat(written.get(0).getMessage()).hasSize(1000);
    assertThat(written.get(0).getInvolvedObject().getNamespace()).isNull();
    assertThat(written.get(0).getInvolvedObject().getUid()).isEqualTo("uid-h1");
  }

  private static MicroVM microVM(String namespace, String name) {
    MicroVM vm = new MicroVM();
    vm.setMetadata(
        new ObjectMetaBuilder()
            .withNamespace(namespace)
            .withName(name)
            .withUid("uid-" + name)
            .build());
    return vm;
  }
}
