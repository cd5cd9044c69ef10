package io.microvmoperator.nix;

import io.microvmoperator.api.ApiPatterns;

/** The user the operator logs in as on a host. */
public record UnixUser(String value) {
  public UnixUser {
    Validated.matching("user", value, ApiPatterns.UNIX_USER, 32);
  }
}
