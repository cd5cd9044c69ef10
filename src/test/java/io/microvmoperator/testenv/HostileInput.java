package io.microvmoperator.testenv;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.function.Predicate;
import java.util.function.UnaryOperator;

/**
 * The injection corpus: fragments with every shell and Nix special character, control characters,
 * NUL, long strings and Unicode, and the fields that reach a host, each with the rule (written here
 * independently of the API's patterns) that says which values it must accept.
 *
 * <p>A case is a fragment put into an otherwise valid value of a field ({@link Field#embed}); the
 * API server, the operator's value types and {@link Field#accepts} must agree on every case.
 */
public final class HostileInput {

  private HostileInput() {}

  /** The canary that an injected command would create; nothing may ever create it. */
  public static final String CANARY = "/tmp/microvm-operator-canary";

  /** The fragments: one character or one attack each. */
  public static List<String> fragments() {
    List<String> fragments = new ArrayList<>();
    String specials = "'\"$`\\;&|()<>*?[]{}!#~=,%^:@+./- \t\n\r";
    for (char c : specials.toCharArray()) {
      fragments.add(String.valueOf(c));
    }
    for (int c : new int[] {0x00, 0x01, 0x07, 0x08, 0x0b, 0x0c, 0x1b, 0x7f, 0x85, 0x9f}) {
      fragments.add(new String(Character.toChars(c)));
    }
    for (String unicode :
        new String[] {
          "ü", "名", "\u00a0", "\u2028", "\u202e", "\u200b", "\ufeff", "\ud83d\ude00", "ａ", "İ"
        }) {
      fragments.add(unicode);
    }
    String touch = "touch " + CANARY;
    String touchIfs = "touch${IFS}" + CANARY;
    fragments.addAll(
        List.of(
            "$(" + touch + ")",
            "$(" + touchIfs + ")",
            "`" + touch + "`",
            "`" + touchIfs + "`",
            ";" + touch,
            ";" + touchIfs,
            "&&" + touchIfs,
            "||" + touchIfs,
            "|" + touchIfs,
            "&" + touchIfs,
            "\n" + touch,
            "\r\n" + touch,
            "'$(" + touchIfs + ")'",
            "\"$(" + touchIfs + ")\"",
            "';" + touchIfs + ";'",
            "\";" + touchIfs + ";\"",
            "\\';" + touchIfs + "#",
            "/../../etc",
            "/./x",
            "/..",
            "?dir=..",
            "%2e%2e/etc",
            "${IFS}",
            "$IFS$9",
            ">" + CANARY,
            ">>" + CANARY,
            "<" + CANARY,
            "2>" + CANARY,
            "$((1+1))",
            "${PATH}",
            "$HOME",
            "~root",
            "*",
            "?",
            "[a-z]",
            "{a,b}",
            "-rf",
            "--help",
            "-o ProxyCommand=" + touchIfs,
            "..",
            "/..",
            "/../../etc",
            "/./x",
            "//x",
            "%2e%2e",
            "%00",
            "%0a" + touchIfs,
            "\u0000" + touch,
            "${builtins.readFile /etc/shadow}",
            "${toString 1}",
            "#nixosConfigurations.evil",
            "?dir=..",
            "&rev=0000000000000000000000000000000000000000",
            "\"; }; evil = import /tmp/x; x = { \"",
            "'' + builtins.toString 1 + ''"));
    fragments.add(".a1".repeat(100));
    fragments.add("a".repeat(60));
    fragments.add("a".repeat(200));
    fragments.add("a".repeat(1100));
    fragments.add("a".repeat(2100));
    fragments.add("a".repeat(5000));
    fragments.add("ü".repeat(1100));
    fragments.add("\ud83d\ude00".repeat(1100));
    fragments.add("");
    return List.copyOf(fragments);
  }

  /** The value for a test report: non-ASCII and control characters as \\uXXXX, length capped. */
  public static String printable(String value) {
    StringBuilder out = new StringBuilder("\"");
    value
        .chars()
        .limit(80)
        .forEach(
            c ->
                out.append(
                    c < 0x20 || c > 0x7e ? String.format("\\u%04x", c) : String.valueOf((char) c)));
    return out.append(value.length() > 80 ? "...\" (" + value.length() + " chars)" : "\"")
        .toString();
  }

  /** A field that reaches a host, how a fragment goes into it, and which values it accepts. */
  public record Field(String name, UnaryOperator<String> embed, Predicate<String> accepts) {
    @Override
    public String toString() {
      return name;
    }
  }

  private static final String ALNUM =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

  /** A name on a host or in Nix: letters, digits, {@code _} and {@code -} only. */
  static boolean name(String value, int maxLength) {
    return !value.isEmpty() && value.length() <= maxLength && only(value, ALNUM + "_-");
  }

  static boolean only(String value, String alphabet) {
    return value.chars().allMatch(c -> alphabet.indexOf(c) >= 0);
  }

  static int codePoints(String value) {
    return value.codePointCount(0, value.length());
  }

  /**
   * A flakeref: anything printable but white space and {@code #}, at most 2048 characters; one on
   * the host's file system ({@code path:}, {@code file:}, {@code ...+file:}) also has an absolute
   * path, no {@code .} or {@code ..} segment and no {@code %}.
   */
  static boolean flake(String value) {
    boolean printable =
        codePoints(value) <= 2048
            && value
                .codePoints()
                .noneMatch(
                    c ->
                        c == '#' || " \t\n\u000b\f\r".indexOf(c) >= 0 || Character.isISOControl(c));
    String scheme = value.substring(0, Math.max(0, value.indexOf(':'))).toLowerCase(Locale.ROOT);
    if (!printable
        || !(scheme.equals("path") || scheme.equals("file") || scheme.endsWith("+file"))) {
      return printable;
    }
    String rest = value.substring(scheme.length() + 1);
    String beforeQuery = rest.contains("?") ? rest.substring(0, rest.indexOf('?')) : rest;
    String path = beforeQuery.startsWith("//") ? beforeQuery.substring(2) : beforeQuery;
    boolean dotSegment =
        Arrays.stream(path.split("/", -1))
            .anyMatch(segment -> segment.equals(".") || segment.equals(".."));
    return path.startsWith("/") && !dotSegment && !path.contains("%");
  }

  /** An absolute path whose components are plain and do not start with a dot. */
  static boolean stateDir(String value) {
    if (!value.startsWith("/") || value.endsWith("/") || value.length() > 1024) {
      return false;
    }
    for (String component : value.substring(1).split("/", -1)) {
      if (component.isEmpty() || component.startsWith(".") || !only(component, ALNUM + "._+-")) {
        return false;
      }
    }
    return true;
  }

  /** A DNS name (labels of letters, digits and inner dashes, 253 at most) or an IP address. */
  static boolean address(String value) {
    if (value.length() > 253) {
      return false;
    }
    if (value.length() >= 2 && value.length() <= 45 && only(value, "0123456789abcdefABCDEF:.")) {
      return true;
    }
    for (String label : value.split("\\.", -1)) {
      if (label.isEmpty()
          || label.length() > 63
          || label.startsWith("-")
          || label.endsWith("-")
          || !only(label, ALNUM + "-")) {
        return false;
      }
    }
    return true;
  }

  /** An http(s) URL of URL characters only: no quotes, white space, backslash or braces. */
  static boolean url(String value) {
    return codePoints(value) <= 2048 && only(value, ALNUM + "._~:/?#[]@!$&()*+,;=%-");
  }

  private static final String STORE_HASH = "0123456789abcdfghijklmnpqrsvwxyz";

  /** The fields of a MicroVM that reach a host. */
  public static List<Field> microVMFields() {
    return List.of(
        new Field("vmName", f -> "vm" + f, v -> name(v, 64)),
        new Field("target", f -> "t" + f, v -> name(v, 64)),
        new Field("flake", f -> "path:/tmp/x" + f, HostileInput::flake),
        new Field(
            "storePath",
            f -> "/nix/store/" + STORE_HASH + "-x" + f,
            v -> {
              String name = v.substring(("/nix/store/" + STORE_HASH + "-").length());
              return name.length() <= 211 && only(name, ALNUM + "+._?=-");
            }),
        new Field("substituters", f -> "http://127.0.0.1:1/" + f, HostileInput::url),
        new Field(
            "trustedPublicKeys",
            f -> "cache-1:AAAA" + f,
            v -> {
              if (codePoints(v) > 1024) {
                return false;
              }
              String key = v.substring("cache-1:".length());
              String data = key.replaceAll("=*$", "");
              return key.length() - data.length() <= 3 && only(data, ALNUM + "+/");
            }),
        new Field("hydra.url", f -> "http://127.0.0.1:1/" + f, HostileInput::url),
        new Field("hydra.project", f -> "p" + f, v -> name(v, 64)),
        new Field("hydra.jobset", f -> "j" + f, v -> name(v, 64)),
        new Field("hydra.job", f -> "job" + f, v -> v.length() <= 128 && only(v, ALNUM + "_.-")));
  }

  /** The fields of a MicroVMHost that reach a host or its SSH server. */
  public static List<Field> hostFields() {
    return List.of(
        new Field("stateDir", f -> "/var/lib/m" + f, HostileInput::stateDir),
        new Field(
            "user",
            f -> "u" + f,
            v -> v.length() <= 32 && only(v, "abcdefghijklmnopqrstuvwxyz0123456789_-")),
        new Field("address", f -> "h" + f, HostileInput::address));
  }
}
