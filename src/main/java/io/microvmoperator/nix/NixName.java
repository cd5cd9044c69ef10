package io.microvmoperator.nix;

import io.microvmoperator.api.ApiPatterns;

/** A {@code nixosConfigurations} attribute name that needs no quoting. */
public record NixName(String value) {
  public NixName {
    Validated.matching("target", value, ApiPatterns.NIX_ATTRIBUTE, 64);
  }
}
