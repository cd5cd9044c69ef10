package io.microvmoperator.reconcile.kube;

import io.javaoperatorsdk.operator.processing.event.source.informer.TransformingItemStore;
import io.microvmoperator.api.MicroVM;

/**
 * The informer's cache of MicroVMs, without {@code metadata.managedFields}: the operator never
 * reads them, and with server-side apply they are a large part of every cached object (the cache
 * holds every MicroVM of the cluster, so this is most of the operator's heap at fleet size).
 */
public class MicroVMCacheStore extends TransformingItemStore<MicroVM> {

  public MicroVMCacheStore() {
    super(
        vm -> {
          vm.getMetadata().setManagedFields(null);
          return vm;
        });
  }
}
