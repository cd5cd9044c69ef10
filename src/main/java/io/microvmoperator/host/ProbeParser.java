package io.microvmoperator.host;

import io.microvmoperator.api.ApiPatterns;
import java.util.HashMap;
import java.util.Map;
import java.util.regex.Pattern;

/** Parses the probe's output: one {@code nix} line, then one tab-separated line per VM. */
final class ProbeParser {

  private static final Pattern VM_NAME = Pattern.compile(ApiPatterns.VM_NAME);

  private ProbeParser() {}

  static HostProbe parse(String output, PresentedKey hostKey) {
    String nixVersion = "";
    Map<String, VmObservation> vms = new HashMap<>();
    for (String line : output.split("\n")) {
      String[] f = line.split("\t", -1);
      if (f[0].equals("nix") && f.length == 2) {
        nixVersion = f[1].replaceFirst("^nix \\(Nix\\) ", "").trim();
      } else if (f[0].equals("vm") && f.length == 8 && VM_NAME.matcher(f[1]).matches()) {
        Map<String, String> unit = unitProperties(f[6]);
        vms.put(
            f[1],
            new VmObservation(
                f[1],
                f[2],
                f[3],
                f[4].equals("1"),
                decodeOrEmpty(f[5]),
                unit.getOrDefault("ActiveState", "unknown"),
                unit.getOrDefault("SubState", "unknown"),
                parseLong(unit.get("MainPID")),
                parseLong(unit.get("NRestarts")),
                unit.getOrDefault("Result", ""),
                !unit.getOrDefault("Job", "").isEmpty(),
                f[7]));
      }
      // Anything else (a folder whose name no MicroVM may claim, stray output) is not a VM of ours.
    }
    return new HostProbe(nixVersion, hostKey, vms);
  }

  private static Map<String, String> unitProperties(String text) {
    Map<String, String> properties = new HashMap<>();
    for (String pair : text.trim().split("\\s+")) {
      int eq = pair.indexOf('=');
      if (eq > 0) {
        properties.put(pair.substring(0, eq), pair.substring(eq + 1));
      }
    }
    return properties;
  }

  private static String decodeOrEmpty(String base64) {
    try {
      return HostProtocol.decodeBase64(base64);
    } catch (IllegalArgumentException e) {
      return "";
    }
  }

  private static long parseLong(String value) {
    try {
      return value == null ? 0 : Long.parseLong(value);
    } catch (NumberFormatException e) {
      return 0;
    }
  }
}
