package io.microvmoperator.cli;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ManagedFieldsEntry;
import io.fabric8.kubernetes.api.model.ObjectMetaBuilder;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Server-side apply of the fields the plugin manages, under the field manager {@code
 * kubectl-microvm}. An apply names every field its manager wants to keep: fields it owned before
 * and leaves out are removed. So each apply carries the plugin's earlier fields with their present
 * values (a {@code suspend} survives a later {@code reconcile}) and the change.
 */
final class PluginApply {

  private PluginApply() {}

  static MicroVM apply(Session session, MicroVM vm, Change change) {
    GenericKubernetesResource patch = patchFor(vm, change);
    session
        .client()
        .genericKubernetesResources(MicroVMHost.GROUP + "/" + MicroVMHost.VERSION, vm.getKind())
        .inNamespace(vm.getMetadata().getNamespace())
        .resource(patch)
        .fieldManager(Session.FIELD_MANAGER)
        .forceConflicts()
        .serverSideApply();
    return vm;
  }

  /** The apply configuration: kept fields with their values, then the change. */
  static GenericKubernetesResource patchFor(MicroVM vm, Change change) {
    OwnedFields owned = OwnedFields.of(vm, Session.FIELD_MANAGER);
    Map<String, String> annotations = new LinkedHashMap<>();
    Map<String, String> present =
        vm.getMetadata().getAnnotations() == null ? Map.of() : vm.getMetadata().getAnnotations();
    for (String key : owned.annotations()) {
      if (present.containsKey(key)) {
        annotations.put(key, present.get(key));
      }
    }
    annotations.putAll(change.annotations());
    Boolean suspend = change.suspend();
    if (suspend == null && owned.suspend()) {
      suspend = vm.getSpec().suspend();
    }
    GenericKubernetesResource patch = new GenericKubernetesResource();
    patch.setApiVersion(MicroVMHost.GROUP + "/" + MicroVMHost.VERSION);
    patch.setKind(vm.getKind());
    patch.setMetadata(
        new ObjectMetaBuilder()
            .withName(vm.getMetadata().getName())
            .withNamespace(vm.getMetadata().getNamespace())
            .withAnnotations(annotations.isEmpty() ? null : annotations)
            .build());
    if (suspend != null) {
      patch.setAdditionalProperty("spec", Map.of("suspend", suspend));
    }
    return patch;
  }

  /** Entries of {@code metadata.managedFields} of this manager's applies. */
  static boolean isOurApply(ManagedFieldsEntry entry, String manager) {
    return manager.equals(entry.getManager()) && "Apply".equals(entry.getOperation());
  }
}
