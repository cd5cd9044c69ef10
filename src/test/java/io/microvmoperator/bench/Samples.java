package io.microvmoperator.bench;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Locale;

/** Repeated measurements of one figure: their median, and their spread as lowest to highest. */
record Samples(List<Double> values) {

  static final Samples NONE = new Samples(List.of(Double.NaN));

  Samples {
    if (values.isEmpty()) {
      throw new IllegalArgumentException("no samples");
    }
    values = List.copyOf(values);
  }

  double median() {
    return sorted().get(values.size() / 2);
  }

  /** The median with its spread and count, e.g. {@code 3.10 (2.95–3.40, 3 runs)}. */
  String summary() {
    List<Double> sorted = sorted();
    return String.format(
        Locale.ROOT,
        "%.2f (%.2f–%.2f, %d runs)",
        median(),
        sorted.get(0),
        sorted.get(sorted.size() - 1),
        sorted.size());
  }

  private List<Double> sorted() {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted;
  }
}
