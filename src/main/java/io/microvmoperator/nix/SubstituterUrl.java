package io.microvmoperator.nix;

import io.microvmoperator.api.ApiPatterns;

/** A binary cache URL given to Nix as one of {@code extra-substituters} (no white space). */
public record SubstituterUrl(String value) {
  public SubstituterUrl {
    Validated.matching("substituter", value, ApiPatterns.HTTP_URL, ApiPatterns.MAX_URL_LENGTH);
  }

  @Override
  public String toString() {
    return value;
  }
}
