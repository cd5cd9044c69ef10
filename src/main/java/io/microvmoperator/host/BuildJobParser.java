package io.microvmoperator.host;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * Parses what {@link HostProtocol#buildJob} and {@link HostProtocol#awaitBuild} print: {@code
 * running}, {@code missing}, or {@code status N}, the one-line JSON of {@code nix build --json},
 * the one-line JSON of {@code nix path-info --json} of the result, then the log's last lines; after
 * a line {@code started} when the command started the build.
 */
final class BuildJobParser {

  private static final ObjectMapper JSON = new ObjectMapper();

  private BuildJobParser() {}

  static BuildJob parse(String output) throws IOException {
    boolean started = output.startsWith("started\n");
    return parse(started ? output.substring("started\n".length()) : output, started);
  }

  /** What a batch's start printed, without its {@code joined JOB} lines. */
  static String withoutMembers(String output) {
    StringBuilder rest = new StringBuilder();
    output
        .lines()
        .dropWhile(line -> line.startsWith("joined "))
        .forEach(line -> rest.append(line).append('\n'));
    return rest.toString();
  }

  private static BuildJob parse(String output, boolean started) throws IOException {
    String[] lines = output.split("\n", 4);
    String first = lines[0].trim();
    if (first.equals("running")) {
      return new BuildJob(BuildJob.State.RUNNING, null, "", List.of(), started);
    }
    if (first.equals("missing")) {
      return new BuildJob(BuildJob.State.MISSING, null, "", List.of(), started);
    }
    if (!first.startsWith("status ")) {
      throw new IOException("unexpected build state from host: " + first);
    }
    String log = lines.length > 3 ? lines[3].strip() : "";
    if (!first.equals("status 0")) {
      return new BuildJob(BuildJob.State.FAILED, null, log, List.of(), started);
    }
    String outPath = outPath(lines.length > 1 ? lines[1] : "");
    if (outPath == null) {
      return new BuildJob(
          BuildJob.State.FAILED,
          null,
          "nix build printed no output path\n" + log,
          List.of(),
          started);
    }
    return new BuildJob(
        BuildJob.State.SUCCEEDED,
        outPath,
        "",
        signatures(lines.length > 2 ? lines[2] : ""),
        started);
  }

  /** {@code [{"outputs":{"out":P}}]} for a derivation, {@code [{"path":P}]} for a store path. */
  private static String outPath(String json) throws IOException {
    if (json.isBlank()) {
      return null;
    }
    JsonNode first = JSON.readTree(json).path(0);
    JsonNode out = first.has("path") ? first.path("path") : first.path("outputs").path("out");
    return out.isTextual() ? out.asText() : null;
  }

  private static List<String> signatures(String json) throws IOException {
    List<String> signatures = new ArrayList<>();
    if (!json.isBlank()) {
      JSON.readTree(json).path(0).path("signatures").forEach(s -> signatures.add(s.asText()));
    }
    return signatures;
  }
}
