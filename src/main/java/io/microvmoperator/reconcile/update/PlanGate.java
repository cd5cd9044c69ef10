package io.microvmoperator.reconcile.update;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMSpec.UpdateStrategy;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.api.MicroVMStatus.Deploy;
import io.microvmoperator.api.MicroVMStatus.Plan;
import io.microvmoperator.host.HostOperations;
import io.microvmoperator.host.NixCommandException;
import io.microvmoperator.host.VmObservation;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.reconcile.context.MicroVMContext;
import io.microvmoperator.reconcile.context.Rollout;
import io.microvmoperator.reconcile.context.StepResult;
import io.microvmoperator.reconcile.kube.Annotations;
import io.microvmoperator.reconcile.kube.Events;
import io.microvmoperator.reconcile.status.MicroVMStatusBuilder;
import java.io.IOException;
import java.time.Clock;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * updateStrategy Plan: a new runner is built or fetched, but {@code current} moves to it only once
 * the user names it in the {@link Annotations#APPROVED_RUNNER} annotation. Until then status.plan
 * and an Event show what would change ({@code nix store diff-closures}).
 */
public final class PlanGate implements UpdatePolicy {

  static final int MAX_DIFF_LINES = 40;
  static final int MAX_DIFF_CHARS = 4000;

  private final Events events;
  private final Clock clock;

  public PlanGate(Events events, Clock clock) {
    this.events = events;
    this.clock = clock;
  }

  /**
   * Holds a rollout whose {@code current} would move to a runner not approved yet; a rollout that
   * holds a failed runner back (going back to one that ran before) needs no approval.
   */
  @Override
  public Verdict review(MicroVMContext ctx, Rollout rollout) throws IOException {
    Optional<VmObservation> observed = ctx.findings().observed();
    if (rollout.holdingBack() || !mustWait(ctx.vm(), observed, rollout.current())) {
      return new Verdict.Go(rollout);
    }
    awaitApproval(ctx, observed, rollout.current());
    return new Verdict.Hold(StepResult.requeueAfter(ctx.interval()));
  }

  /**
   * Whether moving {@code current} to {@code desired} waits for approval. Going back to the runner
   * deployed last (drift corrected) needs none.
   */
  boolean mustWait(MicroVM vm, Optional<VmObservation> observed, StorePath desired) {
    if (vm.getSpec().updateStrategy() != UpdateStrategy.Plan) {
      return false;
    }
    if (observed.map(o -> o.current().equals(desired.value())).orElse(false)) {
      return false;
    }
    if (desired.value().equals(Annotations.approvedRunner(vm))) {
      return false;
    }
    List<Deploy> history =
        Optional.ofNullable(vm.getStatus()).map(MicroVMStatus::history).orElse(List.of());
    return history.stream()
        .filter(d -> "Succeeded".equals(d.result()))
        .findFirst()
        .map(last -> !last.storePath().equals(desired.value()))
        .orElse(true);
  }

  private void awaitApproval(
      MicroVMContext ctx, Optional<VmObservation> observed, StorePath desired) throws IOException {
    MicroVM vm = ctx.vm();
    MicroVMStatusBuilder status = ctx.status();
    String current = observed.map(VmObservation::current).filter(c -> !c.isEmpty()).orElse(null);
    Plan prior = status.prior().plan();
    Plan plan;
    if (prior != null
        && desired.value().equals(prior.storePath())
        && Objects.equals(current, prior.currentStorePath())) {
      plan = prior;
    } else {
      plan =
          new Plan(
              desired.value(),
              current,
              closureDiff(ctx.session().operations(), current, desired),
              clock.instant().truncatedTo(ChronoUnit.SECONDS).toString());
    }
    String approve =
        "kubectl annotate microvm -n "
            + vm.getMetadata().getNamespace()
            + " "
            + vm.getMetadata().getName()
            + " "
            + Annotations.APPROVED_RUNNER
            + "="
            + desired
            + " --overwrite";
    String message = desired.shortName() + " is ready and waits for approval: " + approve;
    status.awaitingApproval(plan, message);
    if (plan != prior) {
      events.normal(
          vm, "PlanReady", "changes to " + desired.shortName() + ":\n" + plan.closureDiff());
    }
  }

  private static String closureDiff(HostOperations protocol, String current, StorePath desired)
      throws IOException {
    StorePath from = StorePath.parseOrNull(current);
    if (from == null) {
      return "nothing is deployed yet; approving deploys " + desired;
    }
    try {
      return summarize(protocol.diffClosures(from, desired));
    } catch (NixCommandException e) {
      return "the closure difference is not available: " + e.getMessage();
    }
  }

  /** At most {@link #MAX_DIFF_LINES} lines and {@link #MAX_DIFF_CHARS} characters, no colours. */
  public static String summarize(String diff) {
    List<String> lines =
        diff.replaceAll("\u001B\\[[0-9;]*[A-Za-z]", "")
            .lines()
            .map(String::strip)
            .filter(line -> !line.isEmpty())
            .toList();
    if (lines.isEmpty()) {
      return "no package versions or closure sizes differ";
    }
    StringBuilder out = new StringBuilder();
    int shown = 0;
    for (String line : lines) {
      if (shown == MAX_DIFF_LINES || out.length() + line.length() + 1 > MAX_DIFF_CHARS) {
        break;
      }
      out.append(line).append('\n');
      shown++;
    }
    if (shown < lines.size()) {
      out.append("... and ").append(lines.size() - shown).append(" more lines\n");
    }
    return out.toString().strip();
  }
}
