package io.microvmoperator.testenv;

/** The outcome of a finished command: exit code and everything it printed. */
public record ExecResult(int exitCode, String stdout, String stderr) {

  public boolean ok() {
    return exitCode == 0;
  }

  /** Returns this result, or throws with the output when the command failed. */
  public ExecResult orThrow(String what) {
    if (!ok()) {
      throw new IllegalStateException(
          what + " failed (exit " + exitCode + ")\nstdout: " + stdout + "\nstderr: " + stderr);
    }
    return this;
  }
}
