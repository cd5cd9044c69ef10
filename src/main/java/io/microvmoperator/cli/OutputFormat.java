package io.microvmoperator.cli;

import java.util.Locale;

/** {@code -o}: a table (the default), a wider table, or the data as JSON or YAML. */
public enum OutputFormat {
  TABLE,
  WIDE,
  JSON,
  YAML;

  /** Parses {@code -o wide|json|yaml}, as kubectl spells them. */
  public static OutputFormat parse(String value) {
    return switch (value.toLowerCase(Locale.ROOT)) {
      case "wide" -> WIDE;
      case "json" -> JSON;
      case "yaml" -> YAML;
      default ->
          throw new CliException("unknown output format \"" + value + "\": use wide, json or yaml");
    };
  }
}
