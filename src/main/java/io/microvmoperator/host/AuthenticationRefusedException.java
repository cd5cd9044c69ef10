package io.microvmoperator.host;

/** The host (its key verified) refused the operator's key for the login user. */
public class AuthenticationRefusedException extends LoginRefusedException {

  public static final String REASON = "AuthenticationFailed";

  public AuthenticationRefusedException(String target, String keyFingerprint, Throwable cause) {
    super(
        target
            + " refused the operator's key "
            + keyFingerprint
            + ": add its public key to the user's ~/.ssh/authorized_keys on the host, or put the"
            + " matching private key in the Secret",
        cause);
  }

  @Override
  public String reason() {
    return REASON;
  }
}
