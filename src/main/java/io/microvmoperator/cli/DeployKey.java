package io.microvmoperator.cli;

import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.util.Arrays;
import java.util.Base64;

/**
 * A new ed25519 deploy key made with the JDK: the private key in OpenSSH's format (what {@code
 * ssh-keygen} writes, unencrypted, which the operator reads from the Secret) and the public key
 * line for the host's {@code authorized_keys}.
 */
record DeployKey(String privateKeyOpenSsh, String publicKeyLine) {

  private static final String TYPE = "ssh-ed25519";

  static DeployKey generate(String comment) {
    try {
      KeyPair pair = KeyPairGenerator.getInstance("Ed25519").generateKeyPair();
      byte[] publicKey = tail(pair.getPublic().getEncoded());
      byte[] seed = tail(pair.getPrivate().getEncoded());
      byte[] blob = publicBlob(publicKey);
      String line = TYPE + " " + Base64.getEncoder().encodeToString(blob) + " " + comment;
      return new DeployKey(openSshPrivateKey(blob, publicKey, seed, comment), line);
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("this JDK cannot make ed25519 keys", e);
    }
  }

  /** The raw 32 bytes at the end of an X.509 or PKCS#8 encoding of an ed25519 key. */
  private static byte[] tail(byte[] encoded) {
    return Arrays.copyOfRange(encoded, encoded.length - 32, encoded.length);
  }

  private static byte[] publicBlob(byte[] publicKey) {
    return write(
        out -> {
          string(out, TYPE.getBytes(StandardCharsets.US_ASCII));
          string(out, publicKey);
        });
  }

  /** PROTOCOL.key of OpenSSH: {@code openssh-key-v1}, no cipher, one key, padded to 8 bytes. */
  private static String openSshPrivateKey(
      byte[] blob, byte[] publicKey, byte[] seed, String comment) {
    int check = new SecureRandom().nextInt();
    byte[] secret =
        write(
            out -> {
              out.writeInt(check);
              out.writeInt(check);
              string(out, TYPE.getBytes(StandardCharsets.US_ASCII));
              string(out, publicKey);
              byte[] both = new byte[64];
              System.arraycopy(seed, 0, both, 0, 32);
              System.arraycopy(publicKey, 0, both, 32, 32);
              string(out, both);
              string(out, comment.getBytes(StandardCharsets.UTF_8));
              for (int pad = 1; out.size() % 8 != 0; pad++) {
                out.writeByte(pad);
              }
            });
    byte[] whole =
        write(
            out -> {
              out.write("openssh-key-v1\0".getBytes(StandardCharsets.US_ASCII));
              string(out, "none".getBytes(StandardCharsets.US_ASCII));
              string(out, "none".getBytes(StandardCharsets.US_ASCII));
              string(out, new byte[0]);
              out.writeInt(1);
              string(out, blob);
              string(out, secret);
            });
    String body =
        Base64.getMimeEncoder(70, "\n".getBytes(StandardCharsets.US_ASCII)).encodeToString(whole);
    return "-----BEGIN OPENSSH PRIVATE KEY-----\n" + body + "\n-----END OPENSSH PRIVATE KEY-----\n";
  }

  private static void string(DataOutputStream out, byte[] value) throws IOException {
    out.writeInt(value.length);
    out.write(value);
  }

  private interface Writer {
    void write(DataOutputStream out) throws IOException;
  }

  private static byte[] write(Writer writer) {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (DataOutputStream out = new DataOutputStream(bytes)) {
      writer.write(out);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }
}
