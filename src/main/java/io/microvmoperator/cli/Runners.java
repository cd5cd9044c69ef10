package io.microvmoperator.cli;

import io.microvmoperator.nix.StorePath;
import java.util.Objects;

/** Short runner names ({@code 1b2c3d4-microvm-web-1.0}), as the MicroVM's status shows them. */
final class Runners {

  static final String NONE = "-";

  private Runners() {}

  static String shortName(String storePath) {
    if (storePath == null || storePath.isEmpty()) {
      return NONE;
    }
    StorePath parsed = StorePath.parseOrNull(storePath);
    return parsed == null ? storePath : parsed.shortName();
  }

  /**
   * {@code booted → current → desired}; one name when all three are the same runner, and {@code
   * booted → current} when nothing is desired (a VM the operator does not manage).
   */
  static String chain(String booted, String current, String desired) {
    boolean desiredKnown = desired != null;
    if (Objects.equals(booted, current) && (!desiredKnown || Objects.equals(current, desired))) {
      return shortName(current);
    }
    String chain = shortName(booted) + " → " + shortName(current);
    return desiredKnown ? chain + " → " + shortName(desired) : chain;
  }
}
