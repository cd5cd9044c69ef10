package io.microvmoperator.host;

import java.io.IOException;
import java.time.Duration;

/** Runs one command in a host's login shell. {@link SshConnection} is the real one. */
public interface CommandRunner {
  CommandResult run(String command, byte[] stdin, Duration deadline) throws IOException;
}
