package io.microvmoperator.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/** Parses what {@link HostProtocol#buildJob} prints. */
final class BuildJobParser {

  private static final ObjectMapper JSON = new ObjectMapper();

  private BuildJobParser() {}

  static BuildJob parse(String output) throws IOException {
    String[] lines = output.split("\n", 3);
    String first = lines[0].trim();
    if (first.equals("running")) {
      return new BuildJob(BuildJob.State.RUNNING, null, "");
    }
    if (first.equals("missing")) {
      return new BuildJob(BuildJob.State.MISSING, null, "");
    }
    if (!first.startsWith("status ")) {
      throw new IOException("unexpected build state from host: " + first);
    }
    String log = lines.length > 2 ? lines[2].strip() : "";
    if (!first.equals("status 0")) {
      return new BuildJob(BuildJob.State.FAILED, null, log);
    }
    String outPath = outPath(lines.length > 1 ? lines[1] : "");
    if (outPath == null) {
      return new BuildJob(BuildJob.State.FAILED, null, "nix build printed no output path\n" + log);
    }
    return new BuildJob(BuildJob.State.SUCCEEDED, outPath, "");
  }

  private static String outPath(String json) throws IOException {
    if (json.isBlank()) {
      return null;
    }
    JsonNode out = JSON.readTree(json).path(0).path("outputs").path("out");
    return out.isTextual() ? out.asText() : null;
  }
}
