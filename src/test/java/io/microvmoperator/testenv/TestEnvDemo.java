package io.microvmoperator.testenv;

import java.io.IOException;

/**
 * Starts test hosts for a local demo and prints how to reach them; stops on Enter (or Ctrl-C). Run:
 * {@code mvn -q test-compile exec:java -Dexec.classpathScope=test
 * -Dexec.mainClass=io.microvmoperator.testenv.TestEnvDemo -Dexec.args=2}.
 */
public final class TestEnvDemo {

  private TestEnvDemo() {}

  public static void main(String[] args) throws IOException {
    int count = args.length > 0 ? Integer.parseInt(args[0]) : 2;
    try (TestHosts hosts = TestHosts.start(count)) {
      System.out.println("test hosts under " + hosts.root());
      for (TestHost host : hosts.all()) {
        System.out.println(host + ":  ssh " + host.sshOptions() + " root@" + host.address());
        System.out.println("  known_hosts line: " + host.knownHostsLine());
      }
      System.out.println("press Enter to stop");
      System.in.read();
    }
  }
}
