package io.microvmoperator.api;

/**
 * The patterns that restrict user-supplied strings, shared by the CRD schema and by the operator's
 * own validation (every value is checked twice before it reaches a host).
 */
public final class ApiPatterns {

  /** A Kubernetes object name (RFC 1123 label). */
  public static final String OBJECT_NAME = "^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$";

  /**
   * A VM name on a host: a folder under the state dir and a systemd instance name ({@code
   * microvm@NAME}), so no dots, slashes, {@code @} or escapes.
   */
  public static final String VM_NAME = "^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$";

  /** A {@code nixosConfigurations} attribute that needs no quoting in a Nix attribute path. */
  public static final String NIX_ATTRIBUTE = "^[A-Za-z_][A-Za-z0-9_-]{0,63}$";

  /** A DNS name, an IPv4 address, or an IPv6 address. */
  public static final String HOST_ADDRESS =
      "^([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*|[0-9A-Fa-f:.]{2,45})$";

  /** A Hydra job name, such as {@code web} or {@code web.x86_64-linux}. */
  public static final String HYDRA_JOB = "^[A-Za-z_][A-Za-z0-9_.-]{0,127}$";

  /** A Unix user name. */
  public static final String UNIX_USER = "^[a-z_][a-z0-9_-]{0,31}$";

  /** An absolute path of plain characters; no component starts with a dot (so no {@code ..}). */
  public static final String ABSOLUTE_PATH = "^(/[A-Za-z0-9_+-][A-Za-z0-9._+-]*)+$";

  /** A store path of the runner: {@code /nix/store/HASH-NAME}, nothing below it. */
  public static final String STORE_PATH =
      "^/nix/store/[0-9a-df-np-sv-z]{32}-[A-Za-z0-9+._?=-]{1,211}$";

  /**
   * A flake reference with a scheme ({@code git+https:}, {@code github:}, {@code path:}, ...): no
   * white space, control characters or {@code #} (the operator appends the attribute itself).
   * Everything else a flakeref may hold, quotes and {@code $} included, is allowed and quoted.
   */
  public static final String FLAKE_REF = "^[A-Za-z][A-Za-z0-9+.-]*:[^\\s#\\p{Cc}]+$";

  /**
   * A flakeref that reaches the host's own file system: scheme {@code path}, {@code file} or {@code
   * SOMETHING+file} (any case).
   */
  public static final String LOCAL_FLAKE_REF = "(?i)^(path|file|[a-z0-9+.-]*[+]file):";

  /**
   * What a local flakeref must look like: an absolute path after the scheme (an empty {@code //}
   * authority allowed), with no {@code .} or {@code ..} segment ({@link #DOT_SEGMENT}) and no
   * percent-escape that could hide one ({@link #ESCAPED_PATH}). Only the path matters: it is the
   * folder Nix copies into the store; a query such as {@code ?dir=} stays inside that copy.
   */
  public static final String LOCAL_FLAKE_ABSOLUTE = "^[^:]*:(///|/([^/]|$))";

  /** A {@code .} or {@code ..} segment in the path of a flakeref (before any {@code ?}). */
  public static final String DOT_SEGMENT = "^[^:]*:[^?]*/[.][.]?(/|[?]|$)";

  /** A percent-escape in the path of a flakeref (before any {@code ?}). */
  public static final String ESCAPED_PATH = "^[^?]*%";

  /** An SSH public key in known_hosts form, without host names: {@code TYPE BASE64}. */
  public static final String SSH_PUBLIC_KEY =
      "^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp256|ecdsa-sha2-nistp384|ecdsa-sha2-nistp521) [A-Za-z0-9+/]+={0,3}$";

  /** A Nix binary cache public key: {@code NAME:BASE64}. */
  public static final String NIX_PUBLIC_KEY = "^[A-Za-z0-9._-]{1,128}:[A-Za-z0-9+/]+={0,3}$";

  /** An http(s) URL without credentials, quotes or white space. */
  public static final String HTTP_URL = "^https?://[A-Za-z0-9._~:/?#\\[\\]@!$&()*+,;=%-]+$";

  /** A Go-style duration such as {@code 30s}, {@code 5m}, {@code 1h30m}. */
  public static final String DURATION = "^([0-9]{1,6}(ms|s|m|h))+$";

  /** The longest flake reference or URL accepted (RE2 caps repeat counts at 1000). */
  public static final int MAX_URL_LENGTH = 2048;

  private ApiPatterns() {}
}
