package io.microvmoperator.app;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.search.Search;
import io.microvmoperator.host.HostConnections;

/**
 * {@code microvm_operator_ssh_logins_total{host, result}}: SSH login attempts per MicroVMHost, by
 * result ({@code succeeded}, {@code failed}). A deleted host's counters are removed.
 */
final class LoginMetrics implements HostConnections.LoginListener {

  private static final String NAME = "microvm_operator_ssh_logins";

  private final MeterRegistry meters;

  LoginMetrics(MeterRegistry meters) {
    this.meters = meters;
  }

  @Override
  public void attempted(String host, boolean succeeded) {
    Counter.builder(NAME)
        .description("SSH login attempts to a host, by result")
        .tag("host", host)
        .tag("result", succeeded ? "succeeded" : "failed")
        .register(meters)
        .increment();
  }

  @Override
  public void forget(String host) {
    Search.in(meters).name(NAME).tag("host", host).meters().forEach(meters::remove);
  }
}
