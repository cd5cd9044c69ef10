package io.microvmoperator.testenv;

import java.time.Instant;

/**
 * One line of a test host's systemctl.log: when, which verb, which unit ({@code microvm@NAME},
 * without {@code .service}; empty when the call named none).
 */
public record SystemctlCall(Instant time, String verb, String unit) {

  static SystemctlCall parse(String line) {
    String[] fields = line.split("\t", -1);
    return new SystemctlCall(Instant.parse(fields[0]), fields[1], fields[2]);
  }
}
