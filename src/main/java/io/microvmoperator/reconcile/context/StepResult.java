package io.microvmoperator.reconcile.context;

import io.microvmoperator.reconcile.failure.Problem;
import java.time.Duration;

/**
 * What one step of a reconcile came to, and so what happens next. The MicroVM reconciler turns the
 * last one into JOSDK's {@code UpdateControl} in one place.
 */
public sealed interface StepResult {

  /** Go on with the next step. */
  record Proceed() implements StepResult {}

  /** The VM is where the spec wants it; look again (the drift check) after {@code recheck}. */
  record Done(Duration recheck) implements StepResult {}

  /** Work goes on (a build, a start, a plan awaiting approval): look again after {@code after}. */
  record RequeueAfter(Duration after) implements StepResult {}

  /** Nothing to do until something changes (the spec, a probe, a freed build slot). */
  record WaitForEvent() implements StepResult {}

  /**
   * A person must act: status and a Warning Event say what. Tried again after {@code retryAfter}
   * when the cause may go away by itself (a flake that does not evaluate yet), else at the next
   * event.
   */
  record Stalled(Problem problem, Duration retryAfter) implements StepResult {}

  static StepResult proceed() {
    return new Proceed();
  }

  static StepResult done(Duration recheck) {
    return new Done(recheck);
  }

  static StepResult requeueAfter(Duration after) {
    return new RequeueAfter(after);
  }

  static StepResult waitForEvent() {
    return new WaitForEvent();
  }

  static StepResult stalled(Problem problem) {
    return new Stalled(problem, null);
  }

  static StepResult stalled(Problem problem, Duration retryAfter) {
    return new Stalled(problem, retryAfter);
  }

  /** When to look again; null means at the next event. */
  default Duration nextLook() {
    if (this instanceof Done done) {
      return done.recheck();
    }
    if (this instanceof RequeueAfter requeue) {
      return requeue.after();
    }
    return this instanceof Stalled stalled ? stalled.retryAfter() : null;
  }
}
