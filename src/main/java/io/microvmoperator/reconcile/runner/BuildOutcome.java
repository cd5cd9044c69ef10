package io.microvmoperator.reconcile.runner;

import io.microvmoperator.reconcile.context.Findings.DesiredRunner;
import io.microvmoperator.reconcile.context.StepResult;

/** What realising a runner came to: the runner in the host's store, or not yet (and what next). */
public sealed interface BuildOutcome {

  record Built(DesiredRunner runner) implements BuildOutcome {}

  record NotYet(StepResult next) implements BuildOutcome {}
}
