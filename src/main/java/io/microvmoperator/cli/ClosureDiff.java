package io.microvmoperator.cli;

import java.io.PrintStream;

/** The closure difference of a plan ({@code nix store diff-closures}), indented. */
final class ClosureDiff {

  private ClosureDiff() {}

  static void print(String diff, PrintStream out) {
    if (diff == null || diff.isBlank()) {
      out.println("  closure difference: none reported");
      return;
    }
    out.println("  closure difference:");
    diff.lines().forEach(line -> out.println("    " + line));
  }
}
