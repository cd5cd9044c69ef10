package io.microvmoperator.host;

import java.time.Duration;
import java.util.Base64;

/**
 * The command line that runs a script on a host so that it cannot outlive its SSH channel. sshd
 * does not end a command when its channel closes or its connection dies (and refuses signal
 * requests for forced commands), so the host side supervises itself:
 *
 * <ul>
 *   <li>the script runs under {@code timeout}, which makes it the leader of a process group of its
 *       own and kills that whole group at the host-side deadline (the client's deadline plus {@link
 *       #HOST_GRACE}, for when the client can no longer tell the host anything);
 *   <li>a watcher waits for end-of-file on the channel's standard input, which the client never
 *       sends while it waits for the command: end-of-file means the client gave up (its deadline)
 *       or the channel or connection is gone, and the watcher kills the group at once;
 *   <li>the script's own input is therefore not the channel's: it travels base64-encoded inside the
 *       command line and is decoded into the script's standard input.
 * </ul>
 *
 * <p>A script's leading comment line ({@link HostScripts} names each script in one) is repeated as
 * the command line's first line, so that what a host logs of the command starts with the script's
 * name.
 *
 * <p>Processes that leave the group on purpose ({@code setsid}: detached builds, VMs started by
 * systemd) are not affected.
 */
final class SupervisedCommand {

  /** How much longer the host waits than the client before it ends a command by itself. */
  static final Duration HOST_GRACE = Duration.ofSeconds(10);

  /** The largest input that travels in the command line (sshd accepts packets up to 256 KiB). */
  static final int MAX_INPUT_BYTES = 64 * 1024;

  private static final String SUPERVISOR =
      """
      exec 3<&0
      %stimeout -s KILL "$t" sh -c "$s" 3<&- %s&
      pg=$!
      { while read -r _; do :; done; kill -s KILL -- -"$pg"; } <&3 >/dev/null 2>&1 &
      w=$!
      exec 3<&-
      wait "$pg"
      r=$?
      kill "$w" 2>/dev/null
      exit "$r"
      """;

  private SupervisedCommand() {}

  /**
   * The command line for {@code script}, fed {@code input} (or nothing) on its standard input and
   * ended by the host at {@code deadline} plus {@link #HOST_GRACE} at the latest.
   */
  static String of(String script, byte[] input, Duration deadline) {
    return withHostDeadline(script, input, deadline.plus(HOST_GRACE));
  }

  /** The command line for {@code script}, ended by the host at {@code hostDeadline}. */
  static String withHostDeadline(String script, byte[] input, Duration hostDeadline) {
    if (input != null && input.length > MAX_INPUT_BYTES) {
      throw new IllegalArgumentException(
          "input of " + input.length + " bytes; at most " + MAX_INPUT_BYTES);
    }
    long hostSeconds = Math.max(1, (hostDeadline.toMillis() + 999) / 1000);
    boolean noInput = input == null || input.length == 0;
    String feed =
        noInput
            ? ""
            : "printf %s "
                + Shell.quote(Base64.getEncoder().encodeToString(input))
                + " | base64 -d | ";
    return title(script)
        + "t="
        + hostSeconds
        + "\ns="
        + Shell.quote(script)
        + "\n"
        + String.format(SUPERVISOR, feed, noInput ? "</dev/null " : "");
  }

  /** The script's first line with its newline when it is a comment, else nothing. */
  private static String title(String script) {
    int end = script.indexOf('\n');
    return script.startsWith("#") && end > 0 ? script.substring(0, end + 1) : "";
  }
}
