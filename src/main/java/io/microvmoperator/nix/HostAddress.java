package io.microvmoperator.nix;

import io.microvmoperator.api.ApiPatterns;

/** A host's DNS name or IP address, as the SSH client resolves and connects to it. */
public record HostAddress(String value) {
  public HostAddress {
    Validated.matching("address", value, ApiPatterns.HOST_ADDRESS, 253);
  }
}
