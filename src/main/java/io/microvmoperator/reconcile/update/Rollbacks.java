package io.microvmoperator.reconcile.update;

import io.microvmoperator.api.MicroVMSpec;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.api.MicroVMStatus.Deploy;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.nix.StorePath;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * When a MicroVM goes back to the runner it ran before: its newly deployed runner was started and a
 * probe within {@link #WINDOW} of the deploy finds that it did not keep running. Either the unit is
 * failed or inactive, or its runner ended at least {@link #ENDS_OF_A_CRASH_LOOP} times since the
 * operator started it: MicroVM.nix's {@code Restart=always} runs an ended runner again, so a crash
 * loop looks active between crashes. systemd's {@code NRestarts} (zeroed by the operator when it
 * starts the unit) counts the runs again, and a unit waiting to run it again ({@code activating},
 * {@code auto-restart}) adds one ({@link VmObservation#endsSinceStart}). systemd's restart job
 * passes through {@code inactive} with the start queued: that is not a stopped unit. A single end
 * is not enough: a guest that reboots itself ends its runner once. A unit still starting ({@code
 * activating}, {@code start} for a notify unit) is not judged. The failed runner is then held back
 * until the desired runner changes or a reconcile is requested.
 */
public final class Rollbacks {

  /** Go back to {@code runner}, because of {@code cause}. */
  public record Rollback(StorePath runner, String cause) {}

  /** How long after a deploy a VM that stops running is rolled back (three default probes). */
  public static final Duration WINDOW = Duration.ofMinutes(3);

  /** How often a runner must end since its start to be crash-looping rather than rebooted. */
  static final long ENDS_OF_A_CRASH_LOOP = 2;

  /**
   * systemd's Result after a notify unit's start failed: {@code timeout} (not ready within {@code
   * TimeoutSec}) or {@code protocol} (the runner ended before it reported ready).
   */
  private static final Set<String> STARTS_THAT_FAILED = Set.of("timeout", "protocol");

  private final MicroVMSpec spec;
  private final MicroVMStatus prior;
  private final Optional<VmObservation> observed;

  private Rollbacks(MicroVMSpec spec, MicroVMStatus prior, Optional<VmObservation> observed) {
    this.spec = spec;
    this.prior = prior;
    this.observed = observed;
  }

  /**
   * Judges the VM of {@code spec} whose last status is {@code prior}, as a probe {@code observed}
   * it.
   */
  public static Rollbacks of(
      MicroVMSpec spec, MicroVMStatus prior, Optional<VmObservation> observed) {
    return new Rollbacks(spec, prior, observed);
  }

  /** Whether {@code desired} is the runner this VM was rolled back from, still held back. */
  public static boolean holdsBack(MicroVMStatus prior, StorePath desired) {
    return prior.rollback() != null && desired.value().equals(prior.rollback().failedStorePath());
  }

  /** The runner to go back to, when the newly deployed {@code desired} does not keep running. */
  public Optional<Rollback> due(StorePath desired, Instant now) {
    Optional<String> cause = failedSinceDeploy(desired, now);
    return cause.flatMap(c -> runnerBefore(desired).map(runner -> new Rollback(runner, c)));
  }

  /**
   * Why the newly deployed {@code desired} did not keep running, when a rollback would be due but
   * there is no earlier runner to go back to (its first deploy): the MicroVM is stalled rather than
   * left "waiting" for ever while systemd runs the runner again and again.
   */
  public Optional<String> stuckWithoutRollback(StorePath desired, Instant now) {
    return failedSinceDeploy(desired, now).filter(cause -> runnerBefore(desired).isEmpty());
  }

  /**
   * Why {@code desired}, deployed last and within {@link #WINDOW}, did not keep running since it
   * was started; empty while it runs, or when rollback does not apply (policy Never, a VM stopped
   * on purpose, current or booted another runner).
   */
  private Optional<String> failedSinceDeploy(StorePath desired, Instant now) {
    if (spec.rollback() == MicroVMSpec.RollbackPolicy.Never
        || Boolean.FALSE.equals(spec.running())
        || observed.isEmpty()) {
      return Optional.empty();
    }
    VmObservation vm = observed.get();
    boolean ranDesired = vm.booted().isEmpty() || vm.booted().equals(desired.value());
    List<Deploy> history = Optional.ofNullable(prior.history()).orElse(List.of());
    if (!vm.current().equals(desired.value())
        || !ranDesired
        || history.isEmpty()
        || !isSucceededDeployOf(history.get(0), desired)
        || now.isAfter(Instant.parse(history.get(0).finishedAt()).plus(WINDOW))) {
      return Optional.empty();
    }
    return notKeptRunning(vm);
  }

  /** The last runner deployed before {@code desired} that succeeded, if any. */
  private Optional<StorePath> runnerBefore(StorePath desired) {
    return Optional.ofNullable(prior.history()).orElse(List.of()).stream()
        .skip(1)
        .filter(d -> "Succeeded".equals(d.result()) && !d.storePath().equals(desired.value()))
        .map(d -> StorePath.parseOrNull(d.storePath()))
        .filter(path -> path != null)
        .findFirst();
  }

  /**
   * What kind of failure {@link #notKeptRunning} reports for {@code vm}, as a metric's label:
   * {@code UnitFailed} (the unit is failed or inactive), {@code StartFailed} (the guest did not
   * report ready), {@code CrashLoop} (its runner ended again and again), or {@code Unknown}.
   */
  public static String causeKind(VmObservation vm) {
    if (vm.stopped()) {
      return "UnitFailed";
    }
    if (!vm.active() && STARTS_THAT_FAILED.contains(vm.result())) {
      return "StartFailed";
    }
    return vm.endsSinceStart() >= ENDS_OF_A_CRASH_LOOP ? "CrashLoop" : "Unknown";
  }

  /** Why the VM's runner did not keep running since it was started, or empty while it did. */
  public static Optional<String> notKeptRunning(VmObservation vm) {
    String unit = "microvm@" + vm.name();
    if (vm.stopped()) {
      return Optional.of(unit + " is " + vm.activeState() + " (" + vm.subState() + ")");
    }
    if (!vm.active() && STARTS_THAT_FAILED.contains(vm.result())) {
      return Optional.of(
          unit
              + " did not start: its guest did not report ready (systemd's Result="
              + vm.result()
              + "; "
              + unit
              + " is "
              + vm.activeState()
              + " ("
              + vm.subState()
              + "))");
    }
    long ends = vm.endsSinceStart();
    if (ends >= ENDS_OF_A_CRASH_LOOP) {
      return Optional.of(
          "its runner ended "
              + ends
              + " times since it was started; "
              + unit
              + " is "
              + vm.activeState()
              + " ("
              + vm.subState()
              + ") with NRestarts="
              + vm.restarts());
    }
    return Optional.empty();
  }

  private static boolean isSucceededDeployOf(Deploy deploy, StorePath runner) {
    return "Succeeded".equals(deploy.result()) && runner.value().equals(deploy.storePath());
  }
}
