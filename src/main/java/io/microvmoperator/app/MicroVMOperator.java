package io.microvmoperator.app;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.javaoperatorsdk.operator.Operator;
import io.javaoperatorsdk.operator.api.config.LeaderElectionConfiguration;
import io.javaoperatorsdk.operator.monitoring.micrometer.MicrometerMetrics;
import io.micrometer.core.instrument.binder.jvm.ClassLoaderMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmGcMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmHeapPressureMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmMemoryMetrics;
import io.micrometer.core.instrument.binder.jvm.JvmThreadMetrics;
import io.micrometer.core.instrument.binder.system.FileDescriptorMetrics;
import io.micrometer.core.instrument.binder.system.ProcessorMetrics;
import io.micrometer.core.instrument.binder.system.UptimeMetrics;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.microvmoperator.host.HostConnections;
import io.microvmoperator.host.SshConnection;
import io.microvmoperator.host.SshSettings;
import io.microvmoperator.hydra.HydraClient;
import io.microvmoperator.reconcile.host.HostAccess;
import io.microvmoperator.reconcile.host.HostProbes;
import io.microvmoperator.reconcile.host.MicroVMHostReconciler;
import io.microvmoperator.reconcile.kube.BackgroundEvents;
import io.microvmoperator.reconcile.kube.EventRecorder;
import io.microvmoperator.reconcile.kube.OperatorSecrets;
import io.microvmoperator.reconcile.metrics.CountingEvents;
import io.microvmoperator.reconcile.microvm.MicroVMReconcilers;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** The operator, wired: both reconcilers, the host probes and the SSH connection pool. */
public final class MicroVMOperator implements AutoCloseable {

  static final Duration RECONCILE_GRACE = Duration.ofSeconds(10);
  static final Duration HYDRA_TIMEOUT = Duration.ofSeconds(30);

  /** Threads that write Events, so that reconciles do not wait for them between host commands. */
  static final int EVENT_WRITERS = 4;

  private static final Logger log = LoggerFactory.getLogger(MicroVMOperator.class);
  private static volatile boolean stopping;

  private final Operator operator;
  private final HostConnections connections;
  private final OperatorSecrets secrets;
  private final PrometheusMeterRegistry meters;

  /** Closed after the reconcilers stopped: the Event writers, then the metrics binders. */
  private final List<AutoCloseable> closedAtStop;

  private MicroVMOperator(
      Operator operator,
      HostConnections connections,
      OperatorSecrets secrets,
      PrometheusMeterRegistry meters,
      List<AutoCloseable> closedAtStop) {
    this.operator = operator;
    this.connections = connections;
    this.secrets = secrets;
    this.meters = meters;
    this.closedAtStop = closedAtStop;
  }

  /** Registers the reconcilers and starts them; returns once the informers' caches are synced. */
  public static MicroVMOperator start(KubernetesClient client, OperatorConfig config) {
    Clock clock = Clock.systemUTC();
    PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    List<AutoCloseable> binders = bindJvmMetrics(meters);
    OperatorMeters domain = new OperatorMeters(meters, clock);
    HostConnections connections =
        new HostConnections(
            SshConnection::open,
            SshSettings.defaults(),
            clock,
            Math::random,
            new LoginMetrics(meters));
    OperatorSecrets secrets = new OperatorSecrets(client, config.namespace());
    HostAccess access = new HostAccess(secrets, connections);
    HostProbes probes = new HostProbes(access, domain);
    BackgroundEvents eventWriters =
        new BackgroundEvents(new EventRecorder(client, clock), EVENT_WRITERS);
    CountingEvents events = new CountingEvents(eventWriters, domain);
    domain.countPhases(probes::allMicroVMs);

    Operator operator =
        new Operator(
            o -> {
              o.withKubernetesClient(client)
                  .withCloseClientOnStop(false)
                  .withConcurrentReconciliationThreads(config.reconcileThreads())
                  // On stop, running reconciles finish (and write their status) instead of being
                  // interrupted half-way; a host command still running then goes on without them.
                  .withReconciliationTerminationTimeout(RECONCILE_GRACE)
                  .withMetrics(MicrometerMetrics.withoutPerResourceMetrics(meters));
              if (config.leaderElection()) {
                o.withLeaderElectionConfiguration(leaderElection(config));
              }
            });
    String selector = config.shard().orElse(null);
    operator.register(
        MicroVMReconcilers.create(
            probes,
            access,
            events,
            new MicroVMReconcilers.Settings(
                clock, new HydraClient(HYDRA_TIMEOUT), config.shard(), domain)),
        o -> o.withReconciliationMaxInterval(config.resyncInterval()).withLabelSelector(selector));
    operator.register(
        new MicroVMHostReconciler(probes, connections, events, clock),
        o -> o.withReconciliationMaxInterval(config.resyncInterval()).withLabelSelector(selector));
    operator.start();
    List<AutoCloseable> closedAtStop = new ArrayList<>();
    closedAtStop.add(eventWriters);
    closedAtStop.addAll(binders);
    return new MicroVMOperator(operator, connections, secrets, meters, closedAtStop);
  }

  /** JVM memory, GC, heap pressure, threads, classes, CPU, uptime and file descriptors. */
  private static List<AutoCloseable> bindJvmMetrics(PrometheusMeterRegistry meters) {
    JvmGcMetrics gc = new JvmGcMetrics();
    JvmHeapPressureMetrics heapPressure = new JvmHeapPressureMetrics();
    new JvmMemoryMetrics().bindTo(meters);
    gc.bindTo(meters);
    heapPressure.bindTo(meters);
    new JvmThreadMetrics().bindTo(meters);
    new ClassLoaderMetrics().bindTo(meters);
    new ProcessorMetrics().bindTo(meters);
    new UptimeMetrics().bindTo(meters);
    new FileDescriptorMetrics().bindTo(meters);
    return List.of(gc, heapPressure);
  }

  /**
   * Leader election through a Lease. Losing the lease while running ends the process (its pod is
   * restarted and waits to lead again); losing it because the operator is stopping does not, as
   * JOSDK's default System.exit would deadlock with the shutdown already under way.
   */
  private static LeaderElectionConfiguration leaderElection(OperatorConfig config) {
    LeaderCallbacks callbacks =
        new LeaderCallbacks(
            () -> log.info("leading: this replica reconciles"),
            () -> {
              if (!stopping) {
                log.error("lost the leader lease; exiting so that another replica takes over");
                new Thread(() -> System.exit(1), "exit-on-lost-lease").start();
              }
            },
            leader -> log.info("leader is {}", leader));
    return new LeaderElectionConfiguration(
        config.leaseName(),
        config.namespace(),
        Duration.ofSeconds(15),
        Duration.ofSeconds(10),
        Duration.ofSeconds(2),
        identity(),
        callbacks,
        false);
  }

  /**
   * This replica's name in the Lease: the host name (a pod's name) and a random suffix. The host
   * name alone is shared by replicas on one machine, or pods on one node with the host's network,
   * and two replicas with one identity would both lead.
   */
  static String identity() {
    String host =
        Optional.ofNullable(System.getenv("HOSTNAME"))
            .filter(name -> !name.isBlank())
            .orElse("microvm-operator");
    return host + "_" + UUID.randomUUID().toString().substring(0, 8);
  }

  /**
   * Started, and every watch healthy. With leader election a standby replica runs its watches too
   * (only event processing waits for the lease), so it is ready to take over and reports ready.
   */
  public boolean isReady() {
    return operator.getRuntimeInfo().isStarted()
        && operator.getRuntimeInfo().allEventSourcesAreHealthy();
  }

  /** The metrics in Prometheus' text format. */
  public String scrapeMetrics() {
    return meters.scrape();
  }

  @Override
  public void close() {
    stopping = true;
    operator.stop();
    connections.close();
    secrets.close();
    for (AutoCloseable closeable : closedAtStop) {
      try {
        closeable.close();
      } catch (Exception e) {
        log.debug("closing {} failed", closeable, e);
      }
    }
  }
}
