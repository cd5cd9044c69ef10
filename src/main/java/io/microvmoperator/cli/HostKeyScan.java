package io.microvmoperator.cli;

import io.microvmoperator.api.ApiPatterns;
import java.io.IOException;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.PublicKey;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicReference;
import net.schmizz.sshj.DefaultConfig;
import net.schmizz.sshj.SSHClient;
import net.schmizz.sshj.common.Buffer;
import net.schmizz.sshj.common.KeyType;
import net.schmizz.sshj.transport.verification.HostKeyVerifier;

/**
 * What {@code ssh-keyscan -t ed25519} does: connects, reads the host key the server presents in the
 * key exchange (ed25519 preferred), and disconnects without logging in.
 */
final class HostKeyScan {

  /** A host key: its known_hosts key part ({@code TYPE BASE64}) and SHA256 fingerprint. */
  record ScannedKey(String line, String fingerprint) {}

  private HostKeyScan() {}

  static ScannedKey scan(String address, int port) {
    AtomicReference<PublicKey> seen = new AtomicReference<>();
    HostKeyVerifier recorder =
        new HostKeyVerifier() {
          @Override
          public boolean verify(String hostname, int p, PublicKey key) {
            seen.set(key);
            return true;
          }

          @Override
          public List<String> findExistingAlgorithms(String hostname, int p) {
            return List.of("ssh-ed25519");
          }
        };
    try (SSHClient ssh = new SSHClient(new DefaultConfig())) {
      ssh.addHostKeyVerifier(recorder);
      ssh.setConnectTimeout(10_000);
      ssh.setTimeout(10_000);
      ssh.connect(address, port);
    } catch (IOException e) {
      if (seen.get() == null) {
        throw new CliException(
            "cannot read the host key of " + address + ":" + port + ": " + e.getMessage());
      }
    }
    return describe(seen.get());
  }

  static ScannedKey describe(PublicKey key) {
    byte[] blob = new Buffer.PlainBuffer().putPublicKey(key).getCompactData();
    return new ScannedKey(
        KeyType.fromKey(key) + " " + Base64.getEncoder().encodeToString(blob), fingerprint(blob));
  }

  /** A key given as {@code TYPE BASE64}, with its fingerprint. */
  static ScannedKey given(String line) {
    String[] parts = line.trim().split("\\s+");
    if (parts.length < 2 || !(parts[0] + " " + parts[1]).matches(ApiPatterns.SSH_PUBLIC_KEY)) {
      throw new CliException("--host-key is not an SSH public key (TYPE BASE64): " + line);
    }
    return new ScannedKey(
        parts[0] + " " + parts[1], fingerprint(Base64.getDecoder().decode(parts[1])));
  }

  private static String fingerprint(byte[] blob) {
    try {
      byte[] hash = MessageDigest.getInstance("SHA-256").digest(blob);
      return "SHA256:" + Base64.getEncoder().withoutPadding().encodeToString(hash);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException(e);
    }
  }
}
