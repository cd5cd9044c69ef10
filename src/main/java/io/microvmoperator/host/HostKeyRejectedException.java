package io.microvmoperator.host;

/** The server presented a host key that is not pinned: nothing was sent to it. */
public class HostKeyRejectedException extends LoginRefusedException {

  public static final String REASON = "HostKeyMismatch";

  private final String presentedFingerprint;

  public HostKeyRejectedException(String target, String presentedFingerprint, Throwable cause) {
    super(
        "host key of "
            + target
            + " is "
            + presentedFingerprint
            + ", which is not one of the pinned keys; nothing was run on it",
        cause);
    this.presentedFingerprint = presentedFingerprint;
  }

  public String presentedFingerprint() {
    return presentedFingerprint;
  }

  @Override
  public String reason() {
    return REASON;
  }
}
