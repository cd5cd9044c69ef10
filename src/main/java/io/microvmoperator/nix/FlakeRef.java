package io.microvmoperator.nix;

import io.microvmoperator.api.ApiPatterns;
import java.util.regex.Pattern;

/** A validated flake reference, without an attribute fragment. */
public record FlakeRef(String value) {

  private static final Pattern PINNED =
      Pattern.compile(
          "([?&]rev=[0-9a-f]{40}(&|$))|([?&]narHash=)|(^github:[^/]+/[^/?]+/[0-9a-f]{40})");

  public FlakeRef {
    Validated.matching("flake", value, ApiPatterns.FLAKE_REF, ApiPatterns.MAX_URL_LENGTH);
  }

  /** Whether the reference names one fixed revision, so it evaluates to the same runner forever. */
  public boolean isPinned() {
    return PINNED.matcher(value).find();
  }

  /** The installable of the VM's runner: {@code FLAKE#nixosConfigurations.TARGET...}. */
  public String runnerInstallable(NixName target) {
    return value + "#nixosConfigurations." + target.value() + ".config.microvm.declaredRunner";
  }

  @Override
  public String toString() {
    return value;
  }
}
