package io.microvmoperator.reconcile.kube;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.fabric8.kubernetes.api.model.Condition;
import io.microvmoperator.api.MicroVM;
import org.junit.jupiter.api.Test;

class MicroVMCacheStoreTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** A MicroVM as the informer reads it: every string its own object, as JSON parsing makes it. */
  private static MicroVM read(String name) throws Exception {
    return JSON.readValue(
        """
        {"apiVersion": "microvm-operator.io/v1alpha1", "kind": "MicroVM",
         "metadata": {"name": "%s", "namespace": "fleet", "uid": "uid-%s",
           "creationTimestamp": "2026-12-07T01:00:00Z",
           "labels": {"sharding.microvm-operator.io/key": "a"},
           "annotations": {"kubectl.kubernetes.io/last-applied-configuration": "{...}",
             "microvm-operator.io/restart-requested-at": "now"},
           "finalizers": ["microvms.microvm-operator.io/finalizer"],
           "managedFields": [{"manager": "kubectl", "operation": "Apply"}]},
         "spec": {"host": "h1", "flake": "github:o/r", "target": "%s"},
         "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "Suspended",
           "message": "spec.suspend is true", "lastTransitionTime": "2026-12-07T01:00:01Z"}]}}
        """
            .formatted(name, name, name),
        MicroVM.class);
  }

  @Test
  void dropsWhatIsNeverReadAndKeepsOneCopyOfTheStringsMicroVmsShare() throws Exception {
    MicroVM a = MicroVMCacheStore.slim(read("a"));
    MicroVM b = MicroVMCacheStore.slim(read("b"));

    assertThat(a.getMetadata().getManagedFields()).isNull();
    assertThat(a.getMetadata().getAnnotations())
        .containsOnlyKeys("microvm-operator.io/restart-requested-at");
    assertThat(a.getMetadata().getName()).isEqualTo("a");
    assertThat(a.getMetadata().getUid()).isEqualTo("uid-a");
    assertThat(a.getMetadata().getNamespace()).isSameAs(b.getMetadata().getNamespace());
    assertThat(a.getMetadata().getCreationTimestamp())
        .isSameAs(b.getMetadata().getCreationTimestamp());
    assertThat(a.getMetadata().getLabels().get("sharding.microvm-operator.io/key"))
        .isEqualTo("a")
        .isSameAs(b.getMetadata().getLabels().get("sharding.microvm-operator.io/key"));
    assertThat(a.getMetadata().getFinalizers().get(0))
        .isSameAs(b.getMetadata().getFinalizers().get(0));
    Condition ready = a.getStatus().conditions().get(0);
    Condition other = b.getStatus().conditions().get(0);
    assertThat(ready.getMessage()).isEqualTo("spec.suspend is true").isSameAs(other.getMessage());
    assertThat(ready.getReason()).isSameAs(other.getReason());
    assertThat(ready.getLastTransitionTime()).isSameAs(other.getLastTransitionTime());
    a.getMetadata().getFinalizers().add("still a list the operator may change");
  }
}
