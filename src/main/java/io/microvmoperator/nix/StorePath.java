package io.microvmoperator.nix;

import io.microvmoperator.api.ApiPatterns;

/** A top-level Nix store path such as {@code /nix/store/HASH-microvm-qemu-web}. */
public record StorePath(String value) {

  private static final int HASH_END = "/nix/store/".length() + 32;

  public StorePath {
    Validated.matching("store path", value, ApiPatterns.STORE_PATH, 256);
  }

  /** Parses a path read from a host, or returns null when it is not a store path. */
  public static StorePath parseOrNull(String value) {
    try {
      return value == null || value.isEmpty() ? null : new StorePath(value);
    } catch (InvalidValueException e) {
      return null;
    }
  }

  /** The short form shown by {@code kubectl get -o wide}: hash prefix and name. */
  public String shortName() {
    return value.substring("/nix/store/".length(), "/nix/store/".length() + 7)
        + value.substring(HASH_END);
  }

  @Override
  public String toString() {
    return value;
  }
}
