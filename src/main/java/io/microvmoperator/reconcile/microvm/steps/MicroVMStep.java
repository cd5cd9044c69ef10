package io.microvmoperator.reconcile.microvm.steps;

import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.StepResult;
import java.io.IOException;

/**
 * One step of a MicroVM's reconcile. It reads and adds to the context, and returns whether the
 * reconcile goes on ({@code StepResult.Proceed}) or ends here, and what happens next.
 *
 * <p>An {@link IOException} is a host that failed while in use; the reconciler classifies it.
 */
public interface MicroVMStep {

  StepResult run(MicroVMContext ctx) throws IOException;
}
