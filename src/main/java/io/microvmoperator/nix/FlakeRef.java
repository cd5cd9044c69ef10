package io.microvmoperator.nix;

import io.microvmoperator.api.ApiPatterns;
import java.util.Optional;
import java.util.regex.Pattern;

/** A validated flake reference, without an attribute fragment. */
public record FlakeRef(String value) {

  private static final Pattern PINNED =
      Pattern.compile(
          "([?&]rev=[0-9a-f]{40}(&|$))|([?&]narHash=)|(^github:[^/]+/[^/?]+/[0-9a-f]{40})");

  private static final Pattern LOCAL = Pattern.compile(ApiPatterns.LOCAL_FLAKE_REF);
  private static final Pattern ABSOLUTE = Pattern.compile(ApiPatterns.LOCAL_FLAKE_ABSOLUTE);
  private static final Pattern DOT_SEGMENT = Pattern.compile(ApiPatterns.DOT_SEGMENT);
  private static final Pattern ESCAPED_PATH = Pattern.compile(ApiPatterns.ESCAPED_PATH);

  public FlakeRef {
    Validated.matching("flake", value, ApiPatterns.FLAKE_REF, ApiPatterns.MAX_URL_LENGTH);
    if (LOCAL.matcher(value).find()
        && (!ABSOLUTE.matcher(value).find()
            || DOT_SEGMENT.matcher(value).find()
            || ESCAPED_PATH.matcher(value).find())) {
      throw new InvalidValueException(
          "flake: a local flake (path:, file:, git+file:, ...) must be an absolute path with no . or .."
              + " segments and no percent-escapes");
    }
  }

  /**
   * The folder on the host that a local flakeref ({@code path:/DIR}, {@code git+file:///DIR?ref=x},
   * ...) names, or empty for a flake fetched from elsewhere.
   */
  public Optional<String> localPath() {
    if (!LOCAL.matcher(value).find()) {
      return Optional.empty();
    }
    String rest = value.substring(value.indexOf(':') + 1);
    if (rest.startsWith("//")) {
      rest = rest.substring(2);
    }
    int query = rest.indexOf('?');
    String path = query < 0 ? rest : rest.substring(0, query);
    return Optional.of(path.length() > 1 ? path.replaceAll("/+$", "") : path);
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
