package io.microvmoperator.host;

/**
 * The private key from the Secret cannot be read. The message never quotes the key or the parser's
 * words about it (they could hold parts of it).
 */
public class PrivateKeyUnreadableException extends LoginRefusedException {

  public static final String REASON = "InvalidPrivateKey";

  public PrivateKeyUnreadableException(String target) {
    super(
        "the private key for "
            + target
            + " cannot be read: the Secret must hold a whole, unencrypted OpenSSH or PEM private"
            + " key (ed25519, ecdsa or rsa); nothing was sent to the host",
        null);
  }

  @Override
  public String reason() {
    return REASON;
  }
}
