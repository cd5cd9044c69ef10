package io.microvmoperator.reconcile.kube;

import io.javaoperatorsdk.operator.processing.event.source.filter.OnUpdateFilter;
import io.microvmoperator.api.MicroVM;
import java.util.Objects;

/**
 * Lets through the updates a reconcile must see: a new generation (spec), a deletion, a change of
 * finalizers, and a new value of the reconcile-now, restart-now or approved-runner annotation.
 * Status writes (the operator's own) do not trigger a reconcile.
 */
public class MicroVMUpdateFilter implements OnUpdateFilter<MicroVM> {

  @Override
  public boolean accept(MicroVM updated, MicroVM old) {
    return !Objects.equals(updated.getMetadata().getGeneration(), old.getMetadata().getGeneration())
        || updated.isMarkedForDeletion()
        || !Objects.equals(updated.getMetadata().getFinalizers(), old.getMetadata().getFinalizers())
        || !Objects.equals(Annotations.reconcileRequest(updated), Annotations.reconcileRequest(old))
        || !Objects.equals(Annotations.restartRequest(updated), Annotations.restartRequest(old))
        || !Objects.equals(Annotations.approvedRunner(updated), Annotations.approvedRunner(old));
  }
}
