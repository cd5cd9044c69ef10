package io.microvmoperator.cli;

import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;

/** kubectl's ages: {@code 45s}, {@code 12m}, {@code 3h}, {@code 5d}. */
final class Ages {

  private Ages() {}

  static String since(String rfc3339, Instant now) {
    if (rfc3339 == null || rfc3339.isEmpty()) {
      return "-";
    }
    try {
      return of(Duration.between(OffsetDateTime.parse(rfc3339).toInstant(), now));
    } catch (DateTimeParseException e) {
      return rfc3339;
    }
  }

  static String of(Duration age) {
    long s = Math.max(0, age.getSeconds());
    if (s < 120) {
      return s + "s";
    }
    if (s < 2 * 3600) {
      return s / 60 + "m";
    }
    if (s < 2 * 86400) {
      return s / 3600 + "h";
    }
    return s / 86400 + "d";
  }
}
