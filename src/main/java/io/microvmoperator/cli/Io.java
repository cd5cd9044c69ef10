package io.microvmoperator.cli;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;

/**
 * Where the plugin writes and reads: stdout for results, stderr for errors and notes, stdin for a
 * confirmation. The plugin never colours its output, so a pipe or a file gets plain text.
 */
public record Io(PrintStream out, PrintStream err, BufferedReader in) {

  /**
   * Asks a yes/no question on stderr and reads the answer from stdin. With no standard input (end
   * of input at once) it refuses with {@code whatToPass}, which names the flag that skips the
   * question.
   */
  public boolean confirm(String question, String whatToPass) {
    err.print(question + " [y/N] ");
    err.flush();
    String answer;
    try {
      answer = in.readLine();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (answer == null) {
      err.println();
      throw new CliException("no answer on standard input: " + whatToPass);
    }
    String a = answer.trim().toLowerCase(java.util.Locale.ROOT);
    return a.equals("y") || a.equals("yes");
  }
}
