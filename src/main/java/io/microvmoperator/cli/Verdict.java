package io.microvmoperator.cli;

/** A VM's state in {@code microvm -l}'s words, and the command that moves it on. */
public record Verdict(String state, String hint) {

  public static final String NO_HINT = "-";
}
