package io.microvmoperator.nix;

import io.microvmoperator.api.ApiPatterns;

/** A VM's name on a host: its folder under the state dir and its unit {@code microvm@NAME}. */
public record VmName(String value) {
  public VmName {
    Validated.matching("vmName", value, ApiPatterns.VM_NAME, 64);
  }

  public String unit() {
    return "microvm@" + value + ".service";
  }
}
