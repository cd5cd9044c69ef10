package io.microvmoperator.reconcile.runner;

import io.microvmoperator.reconcile.failure.Problem;

/** The runner's source (the flake, or Hydra) did not answer usefully. */
public final class SourceUnavailable extends Exception {

  private final Problem problem;

  public SourceUnavailable(Problem problem) {
    super(problem.message());
    this.problem = problem;
  }

  public Problem problem() {
    return problem;
  }
}
