package io.microvmoperator.host;

import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import net.schmizz.sshj.common.Buffer;
import net.schmizz.sshj.common.KeyType;
import net.schmizz.sshj.transport.verification.HostKeyVerifier;

/**
 * Accepts a server only if it presents one of the pinned keys, and offers only the pinned key types
 * during key exchange so a server with several keys presents a pinned one.
 */
final class PinnedHostKeys implements HostKeyVerifier {

  private final List<String> pinned;
  private final boolean trustOnFirstUse;
  private volatile PresentedKey presented = new PresentedKey("", "none");

  PinnedHostKeys(List<String> pinnedKeyLines, boolean trustOnFirstUse) {
    this.pinned = pinnedKeyLines.stream().map(PinnedHostKeys::normalise).toList();
    this.trustOnFirstUse = trustOnFirstUse && pinned.isEmpty();
  }

  @Override
  public boolean verify(String hostname, int port, PublicKey key) {
    presented = new PresentedKey(keyLine(key), fingerprint(key));
    return trustOnFirstUse || pinned.contains(presented.line());
  }

  @Override
  public List<String> findExistingAlgorithms(String hostname, int port) {
    if (trustOnFirstUse) {
      return List.of("ssh-ed25519");
    }
    List<String> algorithms = new ArrayList<>();
    for (String line : pinned) {
      String type = line.substring(0, line.indexOf(' '));
      if (type.equals("ssh-rsa")) {
        algorithms.addAll(List.of("rsa-sha2-512", "rsa-sha2-256", "ssh-rsa"));
      } else {
        algorithms.add(type);
      }
    }
    return algorithms;
  }

  PresentedKey presented() {
    return presented;
  }

  /** The known_hosts key part of a public key: {@code TYPE BASE64}. */
  static String keyLine(PublicKey key) {
    return KeyType.fromKey(key) + " " + Base64.getEncoder().encodeToString(blob(key));
  }

  /** OpenSSH's fingerprint form: {@code SHA256:} and unpadded base64 of the key blob's hash. */
  static String fingerprint(PublicKey key) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(blob(key));
      return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }

  private static byte[] blob(PublicKey key) {
    return new Buffer.PlainBuffer().putPublicKey(key).getCompactData();
  }

  private static String normalise(String line) {
    String[] parts = line.trim().split("\\s+");
    if (parts.length < 2) {
      throw new IllegalArgumentException("not a host key line (TYPE BASE64): " + line);
    }
    return parts[0] + " " + parts[1];
  }
}
