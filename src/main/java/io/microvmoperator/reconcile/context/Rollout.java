package io.microvmoperator.reconcile.context;

import io.microvmoperator.nix.StorePath;

/**
 * Where an update goes: {@code wanted} is the runner the spec resolves to; {@code runner} the one
 * the VM should run (the wanted one, or the one a rollback went back to); {@code current} the one
 * {@code current} points at (the runner, or the booted one kept until a restart under {@code
 * restartPolicy: Manual}).
 */
public record Rollout(StorePath wanted, StorePath runner, StorePath current) {

  public static Rollout of(StorePath wanted) {
    return new Rollout(wanted, wanted, wanted);
  }

  /** Runs {@code other} instead of the wanted runner. */
  public Rollout running(StorePath other) {
    return new Rollout(wanted, other, other);
  }

  /** Keeps {@code kept} in {@code current} until the VM is restarted. */
  public Rollout keeping(StorePath kept) {
    return new Rollout(wanted, runner, kept);
  }

  /** Whether the wanted runner is held back (it did not keep running, and was rolled back). */
  public boolean holdingBack() {
    return !runner.equals(wanted);
  }

  /** Whether the runner waits for a restart to go into {@code current}. */
  public boolean heldForRestart() {
    return !current.equals(runner);
  }
}
