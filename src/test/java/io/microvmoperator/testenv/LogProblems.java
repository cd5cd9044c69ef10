package io.microvmoperator.testenv;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Finds the problems in a log the runnable jar wrote, in either of its formats (the plain pattern
 * of {@code log4j2.xml} or the ECS JSON lines of {@code log4j2-json.xml}): events at ERROR or
 * worse, and events at INFO or WARN that carry a stack trace. At DEBUG and TRACE a stack trace is a
 * diagnostic, not a problem.
 */
public final class LogProblems {

  private static final Pattern PLAIN_EVENT =
      Pattern.compile("^\\S+ (TRACE|DEBUG|INFO|WARN|ERROR|FATAL)\\s.*");
  private static final Pattern JSON_LEVEL = Pattern.compile("\"log\\.level\":\"([A-Z]+)\"");

  private LogProblems() {}

  /** The problem events, one line each (the event's first line). */
  public static List<String> in(String log) {
    List<String> problems = new ArrayList<>();
    String event = null;
    String level = null;
    for (String line : log.lines().toList()) {
      if (line.startsWith("{")) {
        Matcher m = JSON_LEVEL.matcher(line);
        String jsonLevel = m.find() ? m.group(1) : "";
        boolean trace = line.contains("\"error.stack_trace\"");
        if (isError(jsonLevel) || trace && isNormal(jsonLevel)) {
          problems.add(line);
        }
        level = null;
        continue;
      }
      Matcher m = PLAIN_EVENT.matcher(line);
      if (m.matches()) {
        event = line;
        level = m.group(1);
        if (isError(level)) {
          problems.add(line);
        }
      } else if (line.startsWith("\tat ") && isNormal(level)) {
        problems.add(event);
        level = "REPORTED";
      }
    }
    return problems;
  }

  private static boolean isError(String level) {
    return "ERROR".equals(level) || "FATAL".equals(level);
  }

  private static boolean isNormal(String level) {
    return "INFO".equals(level) || "WARN".equals(level);
  }
}
