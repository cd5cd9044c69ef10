package io.microvmoperator.cli;

import java.io.PrintStream;
import java.util.List;

/** The rows of {@code list} as a table; {@code -o wide} splits the runners and adds the phase. */
final class FleetTable {

  private FleetTable() {}

  static void print(List<FleetRow> rows, boolean wide, PrintStream out) {
    Table table =
        wide
            ? new Table(
                "HOST", "VM", "OWNER", "STATE", "RUNNING", "BOOTED", "CURRENT", "DESIRED", "PHASE",
                "HINT")
            : new Table("HOST", "VM", "OWNER", "STATE", "RUNNING", "RUNNER", "HINT");
    for (FleetRow r : rows) {
      if (wide) {
        table.row(
            r.host(),
            r.vm(),
            r.owner(),
            r.state(),
            running(r.running()),
            Runners.shortName(r.booted()),
            Runners.shortName(r.current()),
            Runners.shortName(r.desired()),
            r.phase() == null ? "-" : r.phase(),
            r.hint());
      } else {
        table.row(
            r.host(),
            r.vm(),
            r.owner(),
            r.state(),
            running(r.running()),
            Runners.chain(r.booted(), r.current(), r.desired()),
            r.hint());
      }
    }
    table.print(out);
  }

  private static String running(Boolean running) {
    return running == null ? "?" : running ? "yes" : "no";
  }
}
