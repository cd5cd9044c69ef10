package io.microvmoperator.reconcile.kube;

import java.time.Duration;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/** Parses Go-style durations ({@code 30s}, {@code 5m}, {@code 1h30m}) as the API takes them. */
public final class Durations {

  private static final Pattern PART = Pattern.compile("([0-9]+)(ms|s|m|h)");

  private Durations() {}

  public static Duration parse(String text, Duration fallback) {
    return text == null ? fallback : tryParse(text).orElse(fallback);
  }

  /** The duration {@code text} denotes, or empty when it is not a duration or adds up to zero. */
  public static Optional<Duration> tryParse(String text) {
    Matcher m = PART.matcher(text);
    Duration total = Duration.ZERO;
    int end = 0;
    while (m.find() && m.start() == end) {
      long n = Long.parseLong(m.group(1));
      total =
          total.plus(
              switch (m.group(2)) {
                case "ms" -> Duration.ofMillis(n);
                case "s" -> Duration.ofSeconds(n);
                case "m" -> Duration.ofMinutes(n);
                default -> Duration.ofHours(n);
              });
      end = m.end();
    }
    return end != text.length() || total.isZero() ? Optional.empty() : Optional.of(total);
  }
}
