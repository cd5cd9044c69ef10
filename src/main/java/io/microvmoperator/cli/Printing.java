package io.microvmoperator.cli;

import io.fabric8.kubernetes.client.utils.Serialization;
import java.io.PrintStream;

/** Data as JSON or YAML, with Jackson as the API types are written. */
final class Printing {

  private Printing() {}

  static void print(Object data, OutputFormat format, PrintStream out) {
    try {
      if (format == OutputFormat.JSON) {
        out.println(
            Serialization.jsonMapper().writerWithDefaultPrettyPrinter().writeValueAsString(data));
      } else {
        out.print(Serialization.asYaml(data));
      }
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }
}
