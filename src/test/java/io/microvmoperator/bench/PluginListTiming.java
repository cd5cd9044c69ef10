package io.microvmoperator.bench;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.cli.Io;
import io.microvmoperator.cli.KubectlMicrovm;
import io.microvmoperator.testenv.Commands;
import io.microvmoperator.testenv.ExecResult;
import java.io.BufferedReader;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.StringReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * {@code kubectl microvm list -A} on the benchmark's fleet: the packaged plugin's whole run (a new
 * JVM, as a user runs it) from {@code target/kubectl-microvm} (no class data archive) and as {@code
 * hack/install-kubectl-microvm.sh} installs it (with its archive), the plugin's run in this JVM
 * once warm (kubeconfig, a new client, the two LISTs, rows and table), and the two LISTs alone (one
 * of MicroVMs, one of MicroVMHosts) with a warm client. Medians of a few runs.
 */
final class PluginListTiming {

  private static final int RUNS = 3;

  /** The whole runs (target/ and installed), the in-process run and the LISTs, in seconds. */
  record Seconds(Samples process, Samples installed, double inProcess, double lists) {}

  private PluginListTiming() {}

  static Seconds measure(
      KubernetesClient client, Path kubeconfig, int expectedRows, Path installPrefix) {
    Commands.run(
            List.of("hack/install-kubectl-microvm.sh", installPrefix.toString()),
            Map.of(),
            Duration.ofMinutes(5))
        .orThrow("hack/install-kubectl-microvm.sh");
    Path launcher = Path.of("target", "kubectl-microvm").toAbsolutePath();
    Path installed = installPrefix.resolve("bin").resolve("kubectl-microvm");
    List<Double> process = new ArrayList<>();
    List<Double> installedProcess = new ArrayList<>();
    for (int i = 0; i < RUNS; i++) {
      process.add(wholeRun(launcher, kubeconfig, expectedRows));
      installedProcess.add(wholeRun(installed, kubeconfig, expectedRows));
    }
    List<Double> inProcess = new ArrayList<>();
    for (int i = 0; i < RUNS + 2; i++) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      long start = System.nanoTime();
      int code =
          KubectlMicrovm.run(
              new Io(
                  new PrintStream(out, true, StandardCharsets.UTF_8),
                  new PrintStream(OutputStream.nullOutputStream()),
                  new BufferedReader(new StringReader(""))),
              "list",
              "-A",
              "--kubeconfig",
              kubeconfig.toString());
      double seconds = Timing.secondsSince(start);
      check(code, out.toString(StandardCharsets.UTF_8), expectedRows);
      if (i >= 2) {
        inProcess.add(seconds);
      }
    }
    List<Double> lists = new ArrayList<>();
    for (int i = 0; i < RUNS; i++) {
      long start = System.nanoTime();
      int microvms = client.resources(MicroVM.class).inAnyNamespace().list().getItems().size();
      client.resources(MicroVMHost.class).list();
      lists.add(Timing.secondsSince(start));
      if (microvms < expectedRows) {
        throw new IllegalStateException("listed " + microvms + " MicroVMs, not " + expectedRows);
      }
    }
    return new Seconds(
        new Samples(process),
        new Samples(installedProcess),
        new Samples(inProcess).median(),
        new Samples(lists).median());
  }

  private static double wholeRun(Path launcher, Path kubeconfig, int expectedRows) {
    long start = System.nanoTime();
    ExecResult result =
        Commands.run(
            List.of(launcher.toString(), "list", "-A", "--kubeconfig", kubeconfig.toString()),
            Map.of(),
            Duration.ofMinutes(2));
    double seconds = Timing.secondsSince(start);
    check(result.exitCode(), result.stdout() + result.stderr(), expectedRows);
    return seconds;
  }

  private static void check(int exitCode, String output, int expectedRows) {
    long lines = output.lines().count();
    if (exitCode != 0 || lines != expectedRows + 1) {
      throw new IllegalStateException(
          "kubectl microvm list -A: exit " + exitCode + ", " + lines + " lines:\n" + output);
    }
  }
}
