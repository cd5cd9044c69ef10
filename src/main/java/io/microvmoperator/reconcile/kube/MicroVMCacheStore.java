package io.microvmoperator.reconcile.kube;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;
import io.microvmoperator.api.MicroVM;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The informer's cache of MicroVMs, made small: the cache holds every MicroVM of the cluster, so at
 * fleet size it is most of the operator's heap. It drops what the operator never reads ({@code
 * metadata.managedFields}, large with server-side apply, and kubectl's {@code
 * last-applied-configuration} annotation, a copy of the whole object with client-side apply), and
 * keeps one copy of the strings most MicroVMs share (namespace, labels, finalizer, timestamps of
 * one burst, and the conditions' words) instead of one per object.
 */
public class MicroVMCacheStore extends TransformingItemStore<MicroVM> {

  static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";

  public MicroVMCacheStore() {
    super(MicroVMCacheStore::slim);
  }

  static MicroVM slim(MicroVM vm) {
    vm.setApiVersion(shared(vm.getApiVersion()));
    vm.setKind(shared(vm.getKind()));
    ObjectMeta meta = vm.getMetadata();
    meta.setManagedFields(null);
    meta.setNamespace(shared(meta.getNamespace()));
    meta.setCreationTimestamp(shared(meta.getCreationTimestamp()));
    meta.setLabels(shared(meta.getLabels()));
    Map<String, String> annotations = shared(meta.getAnnotations());
    if (annotations != null) {
      annotations.remove(LAST_APPLIED);
    }
    meta.setAnnotations(annotations);
    if (meta.getFinalizers() != null) {
      meta.setFinalizers(
          new ArrayList<>(meta.getFinalizers().stream().map(MicroVMCacheStore::shared).toList()));
    }
    if (vm.getStatus() != null) {
      vm.getStatus().conditionsOrEmpty().forEach(MicroVMCacheStore::share);
    }
    return vm;
  }

  private static void share(Condition condition) {
    condition.setType(shared(condition.getType()));
    condition.setStatus(shared(condition.getStatus()));
    condition.setReason(shared(condition.getReason()));
    condition.setMessage(shared(condition.getMessage()));
    condition.setLastTransitionTime(shared(condition.getLastTransitionTime()));
  }

  private static Map<String, String> shared(Map<String, String> map) {
    if (map == null) {
      return null;
    }
    Map<String, String> copy = new LinkedHashMap<>();
    map.forEach((key, value) -> copy.put(shared(key), shared(value)));
    return copy;
  }

  /** The JVM's one copy of {@code text} (its string table is weak: unused copies are collected). */
  private static String shared(String text) {
    return text == null ? null : text.intern();
  }
}
