package io.microvmoperator.testenv;

/**
 * Where the wrappers on a test host (nix-store, systemctl) can hold an SSH command, so that a test
 * can stop the operator or change the host at exactly that step (see {@code testenv/pause-point}).
 * Each point has a subject that a pause is narrowed to.
 */
public enum PausePoint {
  /** After {@code nix-store --realise} without {@code --add-root}; subject: its arguments. */
  AFTER_REALISE("nix-store-realise"),
  /** After {@code nix-store --realise ... --add-root ROOT}; subject: ROOT. */
  AFTER_ADD_ROOT("nix-store-add-root"),
  /**
   * Before {@code systemctl show} does anything. The converge reads the unit's state with it after
   * writing flake ({@code -p ActiveState,NRestarts,SubState}); probes call it too, with more
   * properties. Subject: the units named, then the properties asked, e.g. {@code
   * microvm@web.service ActiveState NRestarts}.
   */
  BEFORE_UNIT_STATE("systemctl-show-before"),
  /** Before {@code systemctl restart UNIT} does or logs anything. */
  BEFORE_RESTART("systemctl-restart-before"),
  /** After {@code systemctl restart UNIT} restarted the VM. */
  AFTER_RESTART("systemctl-restart-after");

  private final String fileName;

  PausePoint(String fileName) {
    this.fileName = fileName;
  }

  /** The name of the pause file in the host's {@code run/pause/} (and {@code run/paused/}). */
  String fileName() {
    return fileName;
  }
}
