package io.microvmoperator.reliability;

import static io.microvmoperator.testenv.OperatorHarness.microVM;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.testenv.OperatorHarness;
import io.microvmoperator.testenv.OperatorHarness.Shard;
import io.microvmoperator.testenv.TestFlake;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Two operators, each one shard (WATCH_LABEL_SELECTOR on sharding.microvm-operator.io/key), on the
 * real API server: each host is converged by exactly one shard, the other shard never logs in to
 * it, and a MicroVM labelled for one shard whose host is in the other stalls without a command.
 */
class ShardingIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(2);

  private static final String NS = "sharding";
  private static final String KEY = "sharding.microvm-operator.io/key";
  private static Shard shardA;
  private static Shard shardB;

  @BeforeAll
  static void twoShards() {
    env.stopOperator();
    env.ensureNamespace(NS);
    env.label(env.registerHost("shard-a-host", env.host(0), List.of(NS)), KEY, "a");
    env.label(env.registerHost("shard-b-host", env.host(1), List.of(NS)), KEY, "b");
    shardA = env.startShard(KEY + "=a");
    shardB = env.startShard(KEY + "=b");
  }

  @AfterAll
  static void stopShards() {
    if (shardA != null) {
      shardA.close();
    }
    if (shardB != null) {
      shardB.close();
    }
  }

  /** One story in order: the shards converge their own hosts, then a host moves to the other. */
  @Test
  void eachHostIsConvergedByItsShardAloneAndMovesWithItsLabel() {
    TestFlake flake =
        TestFlake.create(env.hosts().root().resolve("flake"))
            .runner("web", "v1")
            .runner("db", "v1")
            .runner("misplaced", "v1");
    env.hosts().all().forEach(host -> host.logs().resetLogs());

    env.apply(labelled(microVM(NS, "web", "shard-a-host", flake.pathRef(), "web"), "a"));
    env.apply(labelled(microVM(NS, "db", "shard-b-host", flake.pathRef(), "db"), "b"));
    env.apply(
        labelled(microVM(NS, "misplaced", "shard-b-host", flake.pathRef(), "misplaced"), "a"));

    env.awaitRunner(NS, "web", "-microvm-web-v1", Duration.ofSeconds(120));
    env.awaitRunner(NS, "db", "-microvm-db-v1", Duration.ofSeconds(120));
    MicroVM misplaced =
        env.awaitReason(NS, "misplaced", "Stalled", "HostNotFound", Duration.ofSeconds(60));
    assertThat(env.condition(misplaced, "Stalled").orElseThrow().getMessage())
        .contains("not in this operator's shard (" + KEY + "=a)");

    assertThat(logins(shardA, "shard-a-host")).isPositive();
    assertThat(logins(shardA, "shard-b-host")).as("shard a never logs in to b's host").isZero();
    assertThat(logins(shardB, "shard-b-host")).isPositive();
    assertThat(logins(shardB, "shard-a-host")).as("shard b never logs in to a's host").isZero();
    assertThat(env.host(0).logs().auditLog()).noneMatch(command -> command.contains("microvms/db"));
    assertThat(env.host(1).logs().auditLog())
        .noneMatch(command -> command.contains("misplaced"))
        .anyMatch(command -> command.contains("microvms/db"));
    assertThat(env.host(1).readlink("/var/lib/microvms/misplaced/current")).isEmpty();

    // The host and its VM move to shard b: b takes them over without a restart, a lets go.
    env.label(env.client().resources(MicroVMHost.class).withName("shard-a-host").get(), KEY, "b");
    env.label(env.get(NS, "web"), KEY, "b");
    await().atMost(Duration.ofSeconds(60)).until(() -> logins(shardB, "shard-a-host") > 0);
    env.annotate(NS, "web", "microvm-operator.io/reconcile-requested-at", "moved");
    await()
        .atMost(Duration.ofSeconds(60))
        .until(() -> "moved".equals(env.get(NS, "web").getStatus().lastHandledReconcileAt()));
    assertThat(env.condition(env.get(NS, "web"), "Ready").orElseThrow().getStatus())
        .isEqualTo("True");
    assertThat(env.host(0).logs().starts("web")).as("no restart on the handover").isEqualTo(1);
    assertThat(env.host(0).readlink("/var/lib/microvms/web/current")).isPresent();

    // With shard b stopped, whatever still ran on the host would be shard a's: nothing does.
    shardB.close();
    shardB = null;
    env.host(0).logs().resetLogs();
    await().pollDelay(Duration.ofSeconds(12)).atMost(Duration.ofSeconds(13)).until(() -> true);
    assertThat(env.host(0).logs().auditLog())
        .as("commands on the moved host after 2 probe intervals")
        .isEmpty();
  }

  /** How many SSH logins {@code shard} made to {@code host}, from its metrics. */
  private static long logins(Shard shard, String host) {
    String series = "microvm_operator_ssh_logins_total{host=\"" + host + "\"";
    return shard
        .metrics()
        .lines()
        .filter(line -> line.startsWith(series))
        .mapToLong(line -> (long) Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
        .sum();
  }

  private static MicroVM labelled(MicroVM vm, String shard) {
    vm.getMetadata().setLabels(java.util.Map.of(KEY, shard));
    return vm;
  }
}
