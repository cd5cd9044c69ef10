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
import java.util.Collections;
import java.util.List;
import java.util.Map;

/**
 * {@code kubectl microvm list -A} on the benchmark's fleet: the packaged plugin's whole run (a new
 * JVM, as a user runs it: {@code target/kubectl-microvm}, without the class data archive the
 * install script adds), the plugin's run in this JVM once warm (kubeconfig, a new client, the two
 * LISTs, rows and table), and the two LISTs alone (one of MicroVMs, one of MicroVMHosts) with a
 * warm client. Medians of a few runs.
 */
final class PluginListTiming {

  private static final int RUNS = 3;

  /** The whole run and the in-process run, in seconds. */
  record Seconds(double process, double inProcess, double lists) {}

  private PluginListTiming() {}

  static Seconds measure(KubernetesClient client, Path kubeconfig, int expectedRows) {
    Path launcher = Path.of("target", "kubectl-microvm").toAbsolutePath();
    List<Double> process = new ArrayList<>();
    for (int i = 0; i < RUNS; i++) {
      long start = System.nanoTime();
      ExecResult result =
          Commands.run(
              List.of(launcher.toString(), "list", "-A", "--kubeconfig", kubeconfig.toString()),
              Map.of(),
              Duration.ofMinutes(2));
      process.add(Timing.secondsSince(start));
      check(result.exitCode(), result.stdout() + result.stderr(), expectedRows);
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
    return new Seconds(median(process), median(inProcess), median(lists));
  }

  private static void check(int exitCode, String output, int expectedRows) {
    long lines = output.lines().count();
    if (exitCode != 0 || lines != expectedRows + 1) {
      throw new IllegalStateException(
          "kubectl microvm list -A: exit " + exitCode + ", " + lines + " lines:\n" + output);
    }
  }

  private static double median(List<Double> values) {
    List<Double> sorted = new ArrayList<>(values);
    Collections.sort(sorted);
    return sorted.get(sorted.size() / 2);
  }
}
