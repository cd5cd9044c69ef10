package io.microvmoperator.nix;

import io.microvmoperator.api.ApiPatterns;

/**
 * A binary cache signing key, {@code NAME:BASE64}, as Nix's {@code trusted-public-keys} takes it.
 */
public record NixPublicKey(String value) {
  public NixPublicKey {
    Validated.matching("trusted public key", value, ApiPatterns.NIX_PUBLIC_KEY, 1024);
  }

  /** The key's name: the part before the colon, which signatures carry too. */
  public String name() {
    return value.substring(0, value.indexOf(':'));
  }

  @Override
  public String toString() {
    return value;
  }
}
