package io.microvmoperator.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;

/**
 * Parses what {@link HostProtocol#buildJob} and {@link HostProtocol#awaitBuild} print: the job's
 * state, after a line {@code started} when the command started the build.
 */
final class BuildJobParser {

  private static final ObjectMapper JSON = new ObjectMapper();

  private BuildJobParser() {}

  static BuildJob parse(String output) throws IOException {
    boolean started = output.startsWith("started\n");
    return parse(started ? output.substring("started\n".length()) : output, started);
  }

  private static BuildJob parse(String output, boolean started) throws IOException {
    String[] lines = output.split("\n", 3);
    String first = lines[0].trim();
    if (first.equals("running")) {
      return new BuildJob(BuildJob.State.RUNNING, null, "", started);
    }
    if (first.equals("missing")) {
      return new BuildJob(BuildJob.State.MISSING, null, "", started);
    }
    if (!first.startsWith("status ")) {
      throw new IOException("unexpected build state from host: " + first);
    }
    String log = lines.length > 2 ? lines[2].strip() : "";
    if (!first.equals("status 0")) {
      return new BuildJob(BuildJob.State.FAILED, null, log, started);
    }
    String outPath = outPath(lines.length > 1 ? lines[1] : "");
    if (outPath == null) {
      return new BuildJob(
          BuildJob.State.FAILED, null, "nix build printed no output path\n" + log, started);
    }
    return new BuildJob(BuildJob.State.SUCCEEDED, outPath, "", started);
  }

  private static String outPath(String json) throws IOException {
    if (json.isBlank()) {
      return null;
    }
    JsonNode out = JSON.readTree(json).path(0).path("outputs").path("out");
    return out.isTextual() ? out.asText() : null;
  }
}
