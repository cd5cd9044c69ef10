package io.microvmoperator.host;

import io.microvmoperator.host.GuestSwitchOutcome.Kind;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The switch inside a guest: {@code guest-switch.sh}, its output read back, then {@code
 * guest-rollback.sh} when the activation failed or left another system current.
 */
final class GuestSwitchSteps {

  /** The most a text from the guest takes in a message. */
  private static final int MAX_TEXT = 400;

  private GuestSwitchSteps() {}

  static GuestSwitchOutcome run(CommandRunner guest, GuestSwitch request) throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("hostname", request.hostname().value());
    values.put("system", request.system().value());
    values.put("registration", request.registration().value());
    CommandResult result =
        guest.run(
            HostScripts.command("guest-switch", values),
            null,
            LiveSwitchProtocol.activationDeadline());
    Map<String, String> seen = fields(result.stdout());
    String previous = seen.getOrDefault("previous", "");
    GuestSwitchOutcome unchanged = unchanged(result, seen, request);
    if (unchanged != null) {
      return unchanged;
    }
    String current = seen.getOrDefault("current", "");
    if (seen.get("activation").equals("0") && current.equals(request.system().value())) {
      return new GuestSwitchOutcome(Kind.SWITCHED, previous, current, "switched");
    }
    String failure =
        "switch-to-configuration switch exited "
            + seen.get("activation")
            + " and /run/current-system is "
            + (current.isEmpty() ? "missing" : current)
            + ": "
            + tail(result);
    return rollBack(guest, previous, failure);
  }

  /** The outcome when the guest activated nothing, or null when it ran the activation. */
  private static GuestSwitchOutcome unchanged(
      CommandResult result, Map<String, String> seen, GuestSwitch request) {
    String previous = seen.getOrDefault("previous", "");
    if (!result.succeeded()) {
      return new GuestSwitchOutcome(
          Kind.NOT_ACTIVATED, previous, previous, "nothing was activated: " + tail(result));
    }
    if (seen.containsKey("other-host")) {
      return new GuestSwitchOutcome(
          Kind.OTHER_GUEST,
          previous,
          previous,
          "the guest's /etc/hostname is '"
              + shortened(seen.get("host"))
              + "', not "
              + request.hostname());
    }
    if (seen.containsKey("absent") || !seen.containsKey("activation")) {
      return new GuestSwitchOutcome(
          Kind.NOT_IN_GUEST_STORE,
          previous,
          previous,
          request.system() + " is not in the guest's store (is the host's /nix/store shared?)");
    }
    return null;
  }

  private static GuestSwitchOutcome rollBack(CommandRunner guest, String previous, String failure)
      throws IOException {
    if (previous.isEmpty()) {
      return new GuestSwitchOutcome(
          Kind.ROLLBACK_FAILED, previous, "", failure + "; no previous system to go back to");
    }
    CommandResult result =
        guest.run(
            HostScripts.command("guest-rollback", Map.of("previous", previous)),
            null,
            LiveSwitchProtocol.activationDeadline());
    Map<String, String> seen = fields(result.stdout());
    String current = seen.getOrDefault("current", "");
    if (result.succeeded() && "0".equals(seen.get("activation")) && current.equals(previous)) {
      return new GuestSwitchOutcome(Kind.ROLLED_BACK, previous, current, failure);
    }
    return new GuestSwitchOutcome(
        Kind.ROLLBACK_FAILED,
        previous,
        current,
        failure + "; switching back to " + previous + " failed too: " + tail(result));
  }

  /** The script's "KEY VALUE" lines (a key alone maps to the empty string). */
  private static Map<String, String> fields(String stdout) {
    Map<String, String> fields = new LinkedHashMap<>();
    stdout
        .lines()
        .forEach(
            line -> {
              int space = line.indexOf(' ');
              fields.put(
                  space < 0 ? line : line.substring(0, space),
                  space < 0 ? "" : shortened(line.substring(space + 1)));
            });
    return fields;
  }

  /** The last lines of a command's error output, for a message. */
  private static String tail(CommandResult result) {
    String[] lines = result.stderr().strip().split("\n");
    int from = Math.max(0, lines.length - 3);
    return shortened(String.join(" / ", java.util.Arrays.copyOfRange(lines, from, lines.length)));
  }

  /** What the guest said, at most {@link #MAX_TEXT} characters: it goes into status and Events. */
  private static String shortened(String text) {
    return text.length() <= MAX_TEXT ? text : text.substring(0, MAX_TEXT) + "...";
  }
}
