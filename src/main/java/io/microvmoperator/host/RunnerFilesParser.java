package io.microvmoperator.host;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.Map;

/** Parses what {@code runner-files.sh} prints into the booted and the new runner's files. */
public final class RunnerFilesParser {

  /** The two runners a live-switch decision compares. */
  public record RunnerPair(RunnerFiles booted, RunnerFiles next) {}

  private RunnerFilesParser() {}

  public static RunnerPair parse(String output) {
    Map<String, Builder> runners = new LinkedHashMap<>();
    runners.put("booted", new Builder());
    runners.put("new", new Builder());
    for (String line : output.split("\n")) {
      String[] fields = line.split(" ", -1);
      if (fields.length < 3 || !runners.containsKey(fields[1])) {
        continue;
      }
      runners.get(fields[1]).add(fields);
    }
    return new RunnerPair(runners.get("booted").build(), runners.get("new").build());
  }

  private static String decode(String base64) {
    return new String(Base64.getDecoder().decode(base64), StandardCharsets.UTF_8);
  }

  private static final class Builder {
    private String runner = "";
    private boolean present;
    private boolean switchable;
    private final Map<String, RunnerFiles.Entry> entries = new LinkedHashMap<>();

    void add(String[] fields) {
      switch (fields[0]) {
        case "runner" -> {
          runner = fields[2];
          present = true;
        }
        case "missing" -> runner = fields[2];
        case "switchable" -> switchable = fields[2].equals("yes");
        case "file" -> {
          if (fields.length >= 5) {
            entries.put(
                decode(fields[2]),
                RunnerFiles.Entry.file(fields[3].equals("x"), decode(fields[4])));
          }
        }
        case "link" -> {
          if (fields.length >= 4) {
            entries.put(decode(fields[2]), RunnerFiles.Entry.link(decode(fields[3])));
          }
        }
        case "large" ->
            entries.put(decode(fields[2]), RunnerFiles.Entry.of(RunnerFiles.Kind.LARGE));
        case "dir" -> entries.put(decode(fields[2]), RunnerFiles.Entry.of(RunnerFiles.Kind.DIR));
        case "other" ->
            entries.put(decode(fields[2]), RunnerFiles.Entry.of(RunnerFiles.Kind.OTHER));
        default -> {
          // a line of a newer script: ignored
        }
      }
    }

    RunnerFiles build() {
      return new RunnerFiles(runner, present, entries, switchable);
    }
  }
}
