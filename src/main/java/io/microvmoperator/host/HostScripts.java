package io.microvmoperator.host;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The shell scripts the operator runs on hosts, kept as resource files ({@code scripts/*.sh}, with
 * the functions they share in {@code scripts/lib.sh}) and loaded once. A command is a comment
 * naming the script ({@value #HEADER}NAME: what a host's audit log or {@code ps} shows first), the
 * script's variables, each value quoted by {@link Shell#quote}, then the library, then the script.
 */
public final class HostScripts {

  /** Exit status of the converge when the runner is no longer in the host's store. */
  public static final int EXIT_RUNNER_GONE = 3;

  /** The first line of every command, before the script's name. */
  public static final String HEADER = "# microvm-operator: ";

  private static final String FOLDER = "scripts/";
  private static final Map<String, String> LOADED = new ConcurrentHashMap<>();

  private HostScripts() {}

  /** The command that runs script {@code name} (without {@code .sh}) with {@code variables}. */
  public static String command(String name, Map<String, String> variables) {
    StringBuilder out = new StringBuilder(HEADER).append(name).append('\n');
    variables.forEach(
        (variable, value) ->
            out.append(variable).append('=').append(Shell.quote(value)).append('\n'));
    return out.append(source("lib")).append(source(name)).toString();
  }

  /** The text of script {@code name}, as the resource file holds it. */
  public static String source(String name) {
    return LOADED.computeIfAbsent(name, HostScripts::load);
  }

  private static String load(String name) {
    try (InputStream in = HostScripts.class.getResourceAsStream(FOLDER + name + ".sh")) {
      if (in == null) {
        throw new IllegalArgumentException("no host script " + name);
      }
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
