package io.microvmoperator.cli;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMStatus;
import io.microvmoperator.api.MicroVMStatus.Deploy;
import java.io.PrintStream;
import java.time.Instant;
import java.util.List;

/** The text of {@code kubectl microvm status}: what runs, why, what happened, what to do. */
final class StatusReport {

  private final MicroVM vm;
  private final FleetRow row;
  private final List<Event> events;
  private final int eventCount;
  private final Instant now;

  StatusReport(MicroVM vm, FleetRow row, List<Event> events, int eventCount, Instant now) {
    this.vm = vm;
    this.row = row;
    this.events = events;
    this.eventCount = eventCount;
    this.now = now;
  }

  void print(PrintStream out) {
    MicroVMStatus status = vm.getStatus();
    out.println(
        "MicroVM "
            + row.owner()
            + " on host "
            + row.host()
            + " (VM "
            + row.vm()
            + ", phase "
            + (row.phase() == null ? "-" : row.phase())
            + ")");
    out.println("State:    " + row.state());
    out.println("Running:  " + (row.running() == null ? "?" : row.running() ? "yes" : "no"));
    out.println(
        "Runners:  booted "
            + Runners.shortName(row.booted())
            + ", current "
            + Runners.shortName(row.current())
            + ", desired "
            + Runners.shortName(row.desired()));
    if (!Verdict.NO_HINT.equals(row.hint())) {
      out.println("Next:     " + row.hint());
    }
    if (status == null) {
      out.println("\nThe operator has not written a status yet: is it running?");
    } else {
      printConditions(status, out);
      printPlan(status, out);
      printRollback(status, out);
      printHistory(status, out);
    }
    printEvents(out);
  }

  private void printConditions(MicroVMStatus status, PrintStream out) {
    out.println("\nConditions:");
    Table table = new Table("  TYPE", "STATUS", "REASON", "AGE", "MESSAGE");
    for (Condition c : status.conditionsOrEmpty()) {
      table.row(
          "  " + c.getType(),
          c.getStatus(),
          c.getReason(),
          Ages.since(c.getLastTransitionTime(), now),
          Errors.oneLine(String.valueOf(c.getMessage())));
    }
    table.print(out);
  }

  private void printPlan(MicroVMStatus status, PrintStream out) {
    var plan = status.plan();
    if (plan == null) {
      return;
    }
    out.println(
        "\nPlan (waits for approval since "
            + Ages.since(plan.createdAt(), now)
            + "): "
            + Runners.shortName(plan.currentStorePath())
            + " → "
            + Runners.shortName(plan.storePath()));
    ClosureDiff.print(plan.closureDiff(), out);
    out.println("  approve with: kubectl microvm approve " + row.owner());
  }

  private void printRollback(MicroVMStatus status, PrintStream out) {
    var rollback = status.rollback();
    if (rollback == null) {
      return;
    }
    out.println(
        "\nRolled back "
            + Ages.since(rollback.at(), now)
            + " ago from "
            + Runners.shortName(rollback.failedStorePath())
            + " to "
            + Runners.shortName(rollback.restoredStorePath())
            + ": "
            + Errors.oneLine(String.valueOf(rollback.cause())));
  }

  private void printHistory(MicroVMStatus status, PrintStream out) {
    List<Deploy> history = status.history() == null ? List.of() : status.history();
    if (history.isEmpty()) {
      out.println("\nHistory:  no deploys yet");
      return;
    }
    out.println("\nHistory (newest first):");
    Table table = new Table("  RESULT", "AGE", "RUNNER", "SOURCE");
    for (Deploy d : history) {
      table.row(
          "  " + d.result(),
          Ages.since(d.finishedAt(), now),
          Runners.shortName(d.storePath()),
          source(d));
    }
    table.print(out);
  }

  private static String source(Deploy d) {
    var source = d.source();
    if (source == null || source.type() == null) {
      return "-";
    }
    return switch (source.type()) {
      case Flake -> source.flake() == null ? "flake" : source.flake();
      case Hydra -> "hydra build " + source.hydraBuild();
      case StorePath -> "store path";
    };
  }

  private void printEvents(PrintStream out) {
    if (events.isEmpty()) {
      out.println("\nEvents:   none");
      return;
    }
    List<Event> last = events.subList(Math.max(0, events.size() - eventCount), events.size());
    out.println("\nEvents (last " + last.size() + " of " + events.size() + ", oldest first):");
    Table table = new Table("  AGE", "TYPE", "REASON", "MESSAGE");
    for (Event e : last) {
      String count = e.getCount() != null && e.getCount() > 1 ? " (x" + e.getCount() + ")" : "";
      table.row(
          "  " + Ages.since(VmEvents.when(e), now),
          e.getType(),
          e.getReason(),
          Errors.oneLine(String.valueOf(e.getMessage())) + count);
    }
    table.print(out);
  }
}
