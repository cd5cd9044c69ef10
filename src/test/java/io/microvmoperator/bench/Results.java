package io.microvmoperator.bench;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.stream.Collectors;

/** Every figure the benchmark measured, and the one table that shows them against the targets. */
final class Results {

  ScriptedFleet.Run oneByOne;
  ScriptedFleet.Run perHost;
  final Map<String, HostCounters> scriptCounters = new LinkedHashMap<>();
  final Map<String, Double> scriptCpuSeconds = new LinkedHashMap<>();
  double[] operatorCpuSeconds = {Double.NaN, Double.NaN, Double.NaN};
  Map<String, Double> operatorHostSplit = Map.of();
  final Map<String, Map<String, Double>> scriptHostSplit = new LinkedHashMap<>();
  double roundTripMillis;

  List<Double> operatorReadyAt = List.of();
  double operatorSeconds;
  HostCounters operatorCounters;

  HostCounters quiet;
  ApiWatch.Writes quietWrites;

  double updateSeconds;
  double updateBuildSeconds;
  long updateCommands;
  long updateCommandsWithProbes;
  HostCounters update;
  UpdateTimeline updateTimeline;

  PluginListTiming.Seconds pluginList;

  double peakMiB200;
  Samples sync = Samples.NONE;
  Samples syncArchived = Samples.NONE;
  double syncSecondsLarge;
  double largeSettleSeconds;
  double peakMiBLarge;
  double residentMiBLarge;
  long shardVms;
  List<Double> shardPeakMiB = List.of();

  private final List<String[]> rows = new ArrayList<>();

  String table(BenchSettings s) {
    rows.clear();
    int n = s.vms();
    int h = s.hosts();
    double checks = (double) s.quietIntervals() * h;
    HostCounters one = scriptCounters.get("one-by-one");
    HostCounters per = scriptCounters.get("per-host");

    row(
        String.format(Locale.ROOT, "%d VMs on %d hosts: all Ready (s)", n, h),
        oneByOne == null ? "-" : f1(oneByOne.seconds()),
        perHost == null ? "-" : f1(perHost.seconds()),
        f1(operatorSeconds),
        oneByOne == null
            ? "-"
            : f1(oneByOne.seconds() / operatorSeconds)
                + "x / "
                + f1(perHost.seconds() / operatorSeconds)
                + "x",
        ">= 5x / >= 1.5x",
        oneByOne == null
            ? "?"
            : met(
                oneByOne.seconds() / operatorSeconds >= 5
                    && perHost.seconds() / operatorSeconds >= 1.5));
    double operatorCpu = operatorCpuSeconds[0] + operatorCpuSeconds[1] + operatorCpuSeconds[2];
    row(
        "  CPU seconds per VM (hosts + deployer, or hosts + operator + API server)",
        cpuPerVm(scriptCpuSeconds.get("one-by-one"), n),
        cpuPerVm(scriptCpuSeconds.get("per-host"), n),
        String.format(
            Locale.ROOT,
            "%.3f (%.3f + %.3f + %.3f)",
            operatorCpu / n,
            operatorCpuSeconds[0] / n,
            operatorCpuSeconds[1] / n,
            operatorCpuSeconds[2] / n),
        scriptCpuSeconds.containsKey("per-host")
            ? f1(scriptCpuSeconds.get("per-host") / operatorCpu) + "x (per host)"
            : "",
        "",
        "");
    row(
        "  host CPU seconds per VM, all of each host (systemd and the VMs too), by part",
        hostAllPerVm(scriptHostSplit.get("one-by-one"), n),
        hostAllPerVm(scriptHostSplit.get("per-host"), n),
        hostAllPerVm(operatorHostSplit, n),
        "",
        "<= 0.12",
        met(operatorHostSplit.getOrDefault(HostCpuSplit.ALL, Double.NaN) / n <= 0.12));
    row(
        "  SSH connections opened",
        one == null ? "-" : String.valueOf(one.connections()),
        per == null ? "-" : String.valueOf(per.connections()),
        String.valueOf(operatorCounters.connections()),
        "",
        "not one per VM (burst)",
        met(operatorCounters.connections() <= h));
    row(
        "  SSH commands",
        one == null ? "-" : String.valueOf(one.commands()),
        per == null ? "-" : String.valueOf(per.commands()),
        String.valueOf(operatorCounters.commands()),
        "",
        "",
        "");
    row(
        "  of which drift checks (probes)",
        "-",
        "-",
        String.valueOf(operatorCounters.probes()),
        "",
        "",
        "");
    row(
        "  VM starts and restarts",
        one == null ? "-" : String.valueOf(one.restarts()),
        per == null ? "-" : String.valueOf(per.restarts()),
        String.valueOf(operatorCounters.restarts()),
        "",
        "one per VM",
        met(operatorCounters.restarts() == n));
    row(
        "quiet fleet: SSH commands per drift check of a host",
        "none (no drift check)",
        "none (no drift check)",
        f2((double) quiet.commands() / Math.max(1, quiet.probes()))
            + " ("
            + quiet.commands()
            + " commands, "
            + quiet.probes()
            + " of them drift checks, on "
            + h
            + " hosts in "
            + s.quietIntervals()
            + " intervals)",
        "",
        "1",
        met(quiet.commands() == quiet.probes() && quiet.probes() <= checks));
    row(
        "quiet fleet: new SSH connections",
        "",
        "",
        String.valueOf(quiet.connections()),
        "",
        "0",
        met(quiet.connections() == 0));
    row(
        "quiet fleet: nix evaluations and builds",
        "",
        "",
        String.valueOf(quiet.nixEvaluations()),
        "",
        "0",
        met(quiet.nixEvaluations() == 0));
    row(
        "quiet fleet: status writes (MicroVM + MicroVMHost)",
        "",
        "",
        quietWrites.microVMs() + " + " + quietWrites.hosts(),
        "",
        "0",
        met(quietWrites.microVMs() + quietWrites.hosts() == 0));
    row(
        "quiet fleet: Kubernetes Events written",
        "",
        "",
        String.valueOf(quietWrites.events()),
        "",
        "",
        "");
    row(
        "update of one VM: SSH commands (besides drift checks)",
        one == null
            ? "-"
            : perVm(one.commands(), n)
                + " per VM, over "
                + perVm(one.connections(), n)
                + " new connections",
        per == null
            ? "-"
            : perVm(per.commands(), n)
                + " per VM, over "
                + perVm(per.connections(), n)
                + " new connections",
        updateCommands + " (" + updateCommandsWithProbes + " with drift checks)",
        "",
        "<= 3",
        met(updateCommands <= 3));
    row(
        "update of one VM: restarts",
        "",
        "",
        String.valueOf(update.restarts()),
        "",
        "1",
        met(update.restarts() == 1));
    if (pluginList != null) {
      row(
          "kubectl microvm list -A: whole run, a new JVM, target/kubectl-microvm (s)",
          "",
          "",
          pluginList.process().summary(),
          "",
          "",
          "");
      row(
          "kubectl microvm list -A: whole run, a new JVM, installed with its class data archive (s)",
          "",
          "",
          pluginList.installed().summary(),
          "",
          "< 1",
          met(pluginList.installed().median() < 1));
      row(
          "kubectl microvm list -A: in a warm JVM, kubeconfig + client + 2 LISTs + table (s)",
          "",
          "",
          f3(pluginList.inProcess()),
          "",
          "",
          "");
      row(
          "kubectl microvm list -A: its 2 LISTs (MicroVMs, MicroVMHosts), warm client (s)",
          "",
          "",
          f3(pluginList.lists()),
          "",
          "< 1",
          met(pluginList.lists() < 1));
    }
    row("update of one VM: time to Ready (s)", "", "", f3(updateSeconds), "", "", "");
    row(
        "update of one VM: the host's own nix build (s)",
        "",
        "",
        f3(updateBuildSeconds),
        "",
        "",
        "");
    double overheadMillis = (updateSeconds - updateBuildSeconds) * 1000;
    double allowedMillis = roundTripMillis + 100;
    row(
        "update of one VM: overhead over the build (ms)",
        "",
        "",
        f0(overheadMillis),
        "",
        "<= 1 round trip (" + f0(roundTripMillis) + " ms) + 100 ms",
        met(overheadMillis <= allowedMillis));
    long ownMillis =
        updateTimeline.reaction().toMillis()
            + updateTimeline.notice().toMillis()
            + updateTimeline.report().toMillis();
    row(
        "update of one VM: the operator's own part, without the converge on the host (ms)",
        "",
        "",
        String.valueOf(ownMillis),
        "",
        "<= 1 round trip (" + f0(roundTripMillis) + " ms) + 100 ms",
        met(ownMillis <= allowedMillis));
    row(
        "update of one VM: where the time went (ms)",
        "",
        "",
        String.format(
            Locale.ROOT,
            "apply to first command %d, build %d, build end to converge %d, converge on the host %d,"
                + " converge end to Ready seen %d",
            updateTimeline.reaction().toMillis(),
            updateTimeline.build().toMillis(),
            updateTimeline.notice().toMillis(),
            updateTimeline.deploy().toMillis(),
            updateTimeline.report().toMillis()),
        "",
        "",
        "");
    row(
        String.format(Locale.ROOT, "peak resident memory, %d MicroVMs (MiB)", n),
        "",
        "",
        f0(peakMiB200),
        "",
        "",
        "");
    row(
        String.format(Locale.ROOT, "peak resident memory, %d MicroVMs (MiB)", s.largeVms()),
        "",
        "",
        f0(peakMiBLarge),
        "",
        "<= 200",
        met(peakMiBLarge <= 200));
    row(
        String.format(
            Locale.ROOT, "peak resident memory per shard, 2 shards of %d MicroVMs (MiB)", shardVms),
        "",
        "",
        shardPeakMiB.stream().map(Results::f0).collect(Collectors.joining(" / ")),
        "",
        "",
        "");
    row(
        String.format(Locale.ROOT, "start until caches synced, %d MicroVMs (s)", s.syncVms()),
        "",
        "",
        sync.summary(),
        "",
        "",
        "");
    row(
        String.format(
            Locale.ROOT,
            "start until caches synced, %d MicroVMs, with the class data archive as in the image (s)",
            s.syncVms()),
        "",
        "",
        syncArchived.summary(),
        "",
        "<= 3",
        met(syncArchived.median() <= 3));
    row(
        String.format(Locale.ROOT, "start until caches synced, %d MicroVMs (s)", s.largeVms()),
        "",
        "",
        f2(syncSecondsLarge),
        "",
        "",
        "");

    StringBuilder out = new StringBuilder();
    out.append(
        "| measure | script, VM by VM | script, one job per host | operator | script / operator | target | met |\n");
    out.append("|---|---|---|---|---|---|---|\n");
    for (String[] row : rows) {
      out.append("| ").append(String.join(" | ", row)).append(" |\n");
    }
    return out.toString();
  }

  /** A script run's host CPU per VM, all of each host, with its parts; "-" when not run. */
  private static String hostAllPerVm(Map<String, Double> split, int n) {
    if (split == null) {
      return "-";
    }
    return String.format(Locale.ROOT, "%.3f", split.getOrDefault(HostCpuSplit.ALL, Double.NaN) / n)
        + ": "
        + HostCpuSplit.perVm(split, n);
  }

  private void row(String... cells) {
    rows.add(cells);
  }

  private static String cpuPerVm(Double seconds, int vms) {
    return seconds == null ? "-" : String.format(Locale.ROOT, "%.3f", seconds / vms);
  }

  private static String perVm(long total, int vms) {
    return String.format(Locale.ROOT, "%.1f", (double) total / vms);
  }

  private static String met(boolean met) {
    return met ? "yes" : "**no**";
  }

  private static String f0(double v) {
    return String.format(Locale.ROOT, "%.0f", v);
  }

  private static String f1(double v) {
    return String.format(Locale.ROOT, "%.1f", v);
  }

  private static String f2(double v) {
    return String.format(Locale.ROOT, "%.2f", v);
  }

  private static String f3(double v) {
    return String.format(Locale.ROOT, "%.3f", v);
  }
}
