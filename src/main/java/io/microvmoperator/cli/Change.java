package io.microvmoperator.cli;

import java.util.Map;

/**
 * What an action sets on a MicroVM: annotations and, for suspend and resume, {@code spec.suspend}.
 *
 * @param annotations annotations to set (key to value)
 * @param suspend the value of {@code spec.suspend} to set, or null to leave it
 */
record Change(Map<String, String> annotations, Boolean suspend) {

  static Change annotation(String key, String value) {
    return new Change(Map.of(key, value), null);
  }

  static Change suspend(boolean value) {
    return new Change(Map.of(), value);
  }
}
