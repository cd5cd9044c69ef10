package io.microvmoperator.environment;

import static org.assertj.core.api.Assertions.assertThat;

import io.microvmoperator.testenv.BinaryCache;
import io.microvmoperator.testenv.HydraStandIn;
import io.microvmoperator.testenv.ListeningSockets;
import io.microvmoperator.testenv.OperatorHarness;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Every server the tests and the demo start listens on loopback only: etcd (kube-api-test asks for
 * every interface; hack/etcd-loopback.sh narrows it), kube-apiserver, the test hosts' sshd, the
 * binary cache and the Hydra stand-in. The operator runs in process here, without its HTTP
 * endpoints; PackagedOperatorIT checks that the packaged operator's health port listens on
 * loopback.
 */
class LoopbackOnlyIT {

  @RegisterExtension static OperatorHarness env = OperatorHarness.withHosts(1);

  @Test
  void everyServerThisRunStartedListensOnLoopbackOnly() {
    try (BinaryCache cache = BinaryCache.start(env.hosts().root().resolve("cache"));
        HydraStandIn hydra = HydraStandIn.start()) {
      List<ListeningSockets.Socket> sockets = ListeningSockets.ofThisRun();
      System.out.printf("[figures] %d listening sockets of this run:%n", sockets.size());
      sockets.forEach(s -> System.out.println("[figures]   " + s));

      assertThat(sockets).extracting(ListeningSockets.Socket::process).contains("etcd");
      assertThat(sockets)
          .extracting(ListeningSockets.Socket::process)
          .anyMatch(p -> p.startsWith("kube-apiserver"));
      assertThat(sockets).anyMatch(s -> s.port() == env.host(0).port());
      assertThat(sockets).anyMatch(s -> s.port() == portOf(cache.url()));
      assertThat(sockets).anyMatch(s -> s.port() == portOf(hydra.url()));
      assertThat(sockets).allMatch(ListeningSockets.Socket::loopbackOnly, "listens on loopback");
    }
  }

  private static int portOf(String url) {
    return java.net.URI.create(url).getPort();
  }
}
