package io.microvmoperator.cli;

import io.fabric8.kubernetes.api.model.Condition;
import io.microvmoperator.api.MicroVMHost;
import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

/** Waits until a MicroVMHost is Ready, telling each reason it is not on the way. */
final class HostReadiness {

  private final Session session;
  private final String name;

  HostReadiness(Session session, String name) {
    this.session = session;
    this.name = name;
  }

  void await(int timeoutSeconds) {
    Instant deadline = Instant.now().plusSeconds(timeoutSeconds);
    String last = "";
    while (true) {
      Optional<Condition> ready = ready();
      if (ready.map(c -> "True".equals(c.getStatus())).orElse(false)) {
        session.io().out().println("microvmhost " + name + " is Ready");
        return;
      }
      String now = ready.map(c -> c.getReason() + ": " + Errors.oneLine(c.getMessage())).orElse("");
      if (!now.isEmpty() && !now.equals(last)) {
        session.io().err().println("waiting: " + now);
        last = now;
      }
      if (Instant.now().isAfter(deadline)) {
        throw new CliException(
            "microvmhost "
                + name
                + " is not Ready after "
                + timeoutSeconds
                + "s: "
                + (now.isEmpty() ? "no status yet: is the operator running?" : now));
      }
      Sleeps.sleep(Duration.ofSeconds(1));
    }
  }

  private Optional<Condition> ready() {
    MicroVMHost host = session.client().resources(MicroVMHost.class).withName(name).get();
    if (host == null) {
      throw new CliException("microvmhost " + name + " was deleted");
    }
    return host.getStatus() == null
        ? Optional.empty()
        : Conditions.find(host.getStatus().conditions(), "Ready");
  }
}
