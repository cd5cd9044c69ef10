package io.microvmoperator.testenv;

import java.time.Instant;

/** One line of a test host's audit.log: when an SSH command started, and the command. */
public record AuditEntry(Instant time, String command) {}
