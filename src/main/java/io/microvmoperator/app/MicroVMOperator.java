package io.microvmoperator.app;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.javaoperatorsdk.operator.Operator;
import io.microvmoperator.host.HostConnections;
import io.microvmoperator.host.SshConnection;
import io.microvmoperator.host.SshSettings;
import io.microvmoperator.reconcile.EventRecorder;
import io.microvmoperator.reconcile.HostAccess;
import io.microvmoperator.reconcile.HostProbes;
import io.microvmoperator.reconcile.MicroVMHostReconciler;
import io.microvmoperator.reconcile.MicroVMReconciler;
import java.time.Clock;

/** The operator, wired: both reconcilers, the host probes and the SSH connection pool. */
public final class MicroVMOperator implements AutoCloseable {

  private final Operator operator;
  private final HostConnections connections;

  private MicroVMOperator(Operator operator, HostConnections connections) {
    this.operator = operator;
    this.connections = connections;
  }

  /** Registers the reconcilers and starts them; returns once the informers' caches are synced. */
  public static MicroVMOperator start(KubernetesClient client, OperatorConfig config) {
    Clock clock = Clock.systemUTC();
    HostConnections connections =
        new HostConnections(SshConnection::open, SshSettings.defaults(), clock);
    HostAccess access = new HostAccess(client, config.namespace(), connections);
    HostProbes probes = new HostProbes(access);
    EventRecorder events = new EventRecorder(client, clock, config.namespace());

    Operator operator =
        new Operator(o -> o.withKubernetesClient(client).withCloseClientOnStop(false));
    operator.register(new MicroVMReconciler(probes, access, events, clock));
    operator.register(new MicroVMHostReconciler(probes, connections, clock));
    operator.start();
    return new MicroVMOperator(operator, connections);
  }

  public boolean isReady() {
    return operator.getRuntimeInfo().isStarted()
        && operator.getRuntimeInfo().allEventSourcesAreHealthy();
  }

  @Override
  public void close() {
    operator.stop();
    connections.close();
  }
}
