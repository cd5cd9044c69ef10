package io.microvmoperator.host;

import io.microvmoperator.host.GuestSwitchOutcome.Kind;
import io.microvmoperator.host.RunnerFilesParser.RunnerPair;
import io.microvmoperator.nix.AbsolutePath;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.nix.VmName;
import java.io.IOException;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * {@link LiveSwitchOperations} over SSH: host scripts on the host's connection, guest scripts on a
 * connection to the guest opened through it ({@link SshConnection#openForwarded}). Every value
 * reaches a shell as a variable quoted by {@link Shell#quote} ({@link HostScripts}).
 */
public final class LiveSwitchProtocol implements LiveSwitchOperations {

  /** Opens a connection to a guest, through the host. */
  @FunctionalInterface
  public interface GuestLogin {
    SshConnection open(SshTarget guest) throws IOException;
  }

  private static final Duration SHORT = Duration.ofSeconds(60);

  /** An activation restarts the guest's services: MicroVM.nix's start timeout, and some. */
  private static final Duration ACTIVATION = Duration.ofMinutes(3);

  private final CommandRunner host;
  private final AbsolutePath stateDir;
  private final GuestLogin guests;

  public LiveSwitchProtocol(CommandRunner host, AbsolutePath stateDir, GuestLogin guests) {
    this.host = host;
    this.stateDir = stateDir;
    this.guests = guests;
  }

  @Override
  public RunnerPair readRunners(StorePath booted, StorePath next) throws IOException {
    String script =
        HostScripts.command("runner-files", Map.of("booted", booted.value(), "new", next.value()));
    CommandResult result = host.run(script, null, SHORT);
    if (!result.succeeded() || result.truncated()) {
      throw new IOException("cannot read the runners' files: " + result.stderr());
    }
    return RunnerFilesParser.parse(result.stdout());
  }

  @Override
  public StorePath registration(VmName vm, StorePath system) throws IOException {
    Map<String, String> values = new LinkedHashMap<>();
    values.put("d", stateDir.resolve(vm.value()));
    values.put("system", system.value());
    CommandResult result =
        host.run(HostScripts.command("switch-registration", values), null, SHORT);
    StorePath path = StorePath.parseOrNull(result.stdout().strip());
    if (!result.succeeded() || path == null) {
      throw new NixCommandException(
          "cannot register the closure of " + system, result.stderr().strip());
    }
    return path;
  }

  @Override
  public GuestSwitchOutcome switchGuest(SshTarget guest, GuestSwitch request) {
    SshConnection connection;
    try {
      connection = guests.open(guest);
    } catch (HostKeyRejectedException e) {
      return outcome(Kind.HOST_KEY_REJECTED, e.getMessage());
    } catch (IOException | RuntimeException e) {
      return outcome(
          Kind.UNREACHABLE, "no SSH login to the guest at " + guest + ": " + e.getMessage());
    }
    try (connection) {
      return GuestSwitchSteps.run(connection, request);
    } catch (IOException e) {
      return outcome(
          Kind.UNREACHABLE,
          "the SSH connection to the guest at " + guest + " broke: " + e.getMessage());
    }
  }

  private static GuestSwitchOutcome outcome(Kind kind, String detail) {
    return new GuestSwitchOutcome(kind, "", "", detail);
  }

  static Duration activationDeadline() {
    return ACTIVATION;
  }
}
