package io.microvmoperator.cli;

import io.microvmoperator.api.MicroVM;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.function.Function;
import picocli.CommandLine.Option;

/**
 * A request the operator handles once and echoes in the status ({@code reconcile-requested-at},
 * {@code restart-requested-at}): a new timestamp each time, and, with {@code --wait}, waiting for
 * the echo, which is how the plugin finds that no operator is running.
 */
abstract class RequestAnnotation extends ActionCommand {

  @Option(
      names = "--wait",
      description = "Wait until the operator has handled the request (echoed in the status).")
  boolean waitForOperator;

  @Option(
      names = "--timeout",
      defaultValue = "60",
      description = "Seconds --wait waits (default: ${DEFAULT-VALUE}).")
  int timeoutSeconds;

  /** The annotation's key. */
  abstract String key();

  /** Where the operator echoes the value it handled. */
  abstract Function<io.microvmoperator.api.MicroVMStatus, String> echo();

  @Override
  Change changeFor(Session session, MicroVM vm) {
    return Change.annotation(key(), Instant.now().toString());
  }

  @Override
  void after(Session session, List<Applied> applied) {
    if (!waitForOperator) {
      return;
    }
    Instant deadline = Instant.now().plusSeconds(timeoutSeconds);
    for (Applied a : applied) {
      String value = a.change().annotations().get(key());
      VmRef ref = new VmRef(a.vm().getMetadata().getNamespace(), a.vm().getMetadata().getName());
      while (!handled(ref.get(session), value)) {
        if (Instant.now().isAfter(deadline)) {
          throw new CliException(
              "the operator did not handle the request on "
                  + ref
                  + " within "
                  + timeoutSeconds
                  + "s: is it running? (kubectl -n microvm-operator get pods)");
        }
        Sleeps.sleep(Duration.ofMillis(500));
      }
      session.io().out().println("microvm " + ref + " handled by the operator");
    }
  }

  private boolean handled(MicroVM vm, String value) {
    return vm.getStatus() != null && value.equals(echo().apply(vm.getStatus()));
  }
}
