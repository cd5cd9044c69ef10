package io.microvmoperator.testenv;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.regex.Pattern;
import org.apache.logging.log4j.Level;
import org.apache.logging.log4j.LogManager;
import org.apache.logging.log4j.core.LogEvent;
import org.apache.logging.log4j.core.LoggerContext;
import org.apache.logging.log4j.core.appender.AbstractAppender;
import org.apache.logging.log4j.core.config.Configuration;
import org.apache.logging.log4j.core.config.Property;

/**
 * What the in-process operator logs, captured by a Log4j2 appender on the root logger (so every
 * logger that the configuration lets through: the operator's own, JOSDK's, fabric8's, sshj's). The
 * control plane's own logger ({@code io.fabric8.kubeapitest}) is not the operator and is left out.
 *
 * <p>A test checks it for problems, {@code ERROR} events and stack traces at any level, of which
 * only those that the test declared expected are allowed.
 */
public final class OperatorLog extends AbstractAppender {

  /** One event, its message and stack trace already rendered. */
  public record Entry(Level level, String logger, String thread, String message, String thrown) {

    /** Whether this is a problem: an ERROR (or worse), or anything with a stack trace. */
    public boolean isProblem() {
      return level.isMoreSpecificThan(Level.ERROR) || thrown != null;
    }

    /** The message and the stack trace, as one text to match and to search. */
    public String text() {
      return thrown == null ? message : message + "\n" + thrown;
    }

    @Override
    public String toString() {
      return level + " [" + thread + "] " + logger + " - " + text();
    }
  }

  private static final String CONTROL_PLANE = "io.fabric8.kubeapitest";

  private final List<Entry> entries = new CopyOnWriteArrayList<>();
  private final List<Pattern> allowed = new CopyOnWriteArrayList<>();
  private int checked;

  private OperatorLog() {
    super("operator-log", null, null, true, Property.EMPTY_ARRAY);
  }

  /** Starts capturing. */
  public static OperatorLog attach() {
    OperatorLog log = new OperatorLog();
    log.start();
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    Configuration configuration = context.getConfiguration();
    configuration.addAppender(log);
    configuration.getRootLogger().addAppender(log, Level.ALL, null);
    context.updateLoggers();
    return log;
  }

  /** Stops capturing. */
  public void detach() {
    LoggerContext context = (LoggerContext) LogManager.getContext(false);
    context.getConfiguration().getRootLogger().removeAppender(getName());
    context.updateLoggers();
    stop();
  }

  @Override
  public void append(LogEvent event) {
    if (event.getLoggerName() != null && event.getLoggerName().startsWith(CONTROL_PLANE)) {
      return;
    }
    String thrown = null;
    if (event.getThrown() != null) {
      StringWriter trace = new StringWriter();
      event.getThrown().printStackTrace(new PrintWriter(trace));
      thrown = trace.toString();
    }
    entries.add(
        new Entry(
            event.getLevel(),
            event.getLoggerName(),
            event.getThreadName(),
            event.getMessage().getFormattedMessage(),
            thrown));
  }

  /** Everything captured so far. */
  public List<Entry> entries() {
    return List.copyOf(entries);
  }

  /**
   * Declares problems matching {@code regex} (found in the message or the stack trace) expected
   * from now on: the operator keeps running across tests, and what caused them may stay.
   */
  public void allow(String regex) {
    allowed.add(Pattern.compile(regex, Pattern.DOTALL));
  }

  /** The problems logged since the last call that no allowance matches. */
  public synchronized List<Entry> unexpectedProblemsSinceLastCheck() {
    List<Entry> all = entries();
    List<Entry> unexpected = new ArrayList<>();
    for (Entry entry : all.subList(checked, all.size())) {
      if (entry.isProblem() && allowed.stream().noneMatch(p -> p.matcher(entry.text()).find())) {
        unexpected.add(entry);
      }
    }
    checked = all.size();
    return unexpected;
  }
}
