package io.microvmoperator.nix;

import java.util.regex.Pattern;

/** Checks a value against one of the API's patterns, the second check after the CRD schema's. */
final class Validated {

  private Validated() {}

  static String matching(String field, String value, String pattern, int maxLength) {
    if (value == null || value.isEmpty()) {
      throw new InvalidValueException(field + " is empty");
    }
    // Characters as the API server counts them (code points), not Java's UTF-16 units.
    int length = value.codePointCount(0, value.length());
    if (length > maxLength) {
      throw new InvalidValueException(
          field + " is " + length + " characters long; at most " + maxLength);
    }
    if (!Pattern.compile(pattern).matcher(value).matches()) {
      throw new InvalidValueException(field + " " + printable(value) + " must match " + pattern);
    }
    return value;
  }

  /** The value as it can be shown in a message: control characters escaped, length capped. */
  static String printable(String value) {
    StringBuilder out = new StringBuilder("\"");
    value
        .codePoints()
        .limit(80)
        .forEach(
            c -> {
              if (Character.isISOControl(c)) {
                out.append(String.format("\\u%04x", c));
              } else {
                out.appendCodePoint(c);
              }
            });
    return out.append(value.length() > 80 ? "...\"" : "\"").toString();
  }
}
