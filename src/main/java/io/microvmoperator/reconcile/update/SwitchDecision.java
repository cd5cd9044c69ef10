package io.microvmoperator.reconcile.update;

import io.microvmoperator.host.RunnerFiles;
import io.microvmoperator.host.RunnerFiles.Entry;
import io.microvmoperator.host.RunnerFiles.Kind;
import io.microvmoperator.nix.StorePath;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.TreeSet;
import java.util.regex.Pattern;

/**
 * Whether a VM can move from the runner it booted to a new one by a live switch of its system, or
 * must be restarted, decided from the two runners' own files (never guessed from the spec).
 *
 * <p>MicroVM.nix's runner carries the guest's system: {@code share/microvm/system} links to the
 * toplevel, and {@code bin/microvm-run} boots the kernel with {@code init=<toplevel>/init} (and,
 * with a shared store, {@code regInfo=<closure-info>/registration}). So when only the system
 * changed, the runners differ exactly where the toplevel's path (and its closure info's) appears.
 * Every entry of both runners is compared with those paths replaced by placeholders: same names,
 * same kinds, same contents and modes, same link targets. Anything else (kernel, initrd,
 * hypervisor, memory, CPUs, volumes, shares, interfaces, a helper script) is a difference that only
 * a restart applies. The new system must also have {@code bin/switch-to-configuration}.
 */
public final class SwitchDecision {

  private static final String SYSTEM = "@system@";
  private static final String CLOSURE_INFO = "@closure-info@";
  private static final Pattern CLOSURE_INFO_PATH =
      Pattern.compile("/nix/store/[0-9a-z]{32}-[A-Za-z0-9+._?=-]*closure-info");
  private static final int NAMES_SHOWN = 3;

  /** Switch live, or restart; with the reason, one sentence for status and Events. */
  public record Result(boolean live, String reason) {
    static Result restart(String reason) {
      return new Result(false, reason);
    }
  }

  private SwitchDecision() {}

  public static Result decide(RunnerFiles booted, RunnerFiles next) {
    if (!booted.present() || !next.present()) {
      RunnerFiles gone = booted.present() ? next : booted;
      return Result.restart("the runner " + gone.runner() + " is not in the host's store");
    }
    if (booted.system().isEmpty() || next.system().isEmpty()) {
      RunnerFiles without = booted.system().isEmpty() ? booted : next;
      return Result.restart(
          "the runner " + without.runner() + " has no " + RunnerFiles.SYSTEM_LINK);
    }
    String from = booted.system().get();
    String to = next.system().get();
    List<String> differences = differences(booted, next);
    if (from.equals(to)) {
      return Result.restart("the system did not change, the runner did: " + describe(differences));
    }
    if (!differences.isEmpty()) {
      return Result.restart("the runner changed beyond its system: " + describe(differences));
    }
    if (StorePath.parseOrNull(to) == null) {
      return Result.restart("the new runner's " + RunnerFiles.SYSTEM_LINK + " is not a store path");
    }
    if (!next.switchable()) {
      return Result.restart(
          "the new system " + to + " has no bin/switch-to-configuration (system.switch.enable)");
    }
    return new Result(true, "only the system changed: " + from + " -> " + to);
  }

  /** The entries that differ once the systems' and closure infos' paths are placeholders. */
  public static List<String> differences(RunnerFiles booted, RunnerFiles next) {
    String from = booted.system().orElse(null);
    String to = next.system().orElse(null);
    TreeSet<String> names = new TreeSet<>(booted.entries().keySet());
    names.addAll(next.entries().keySet());
    List<String> differences = new ArrayList<>();
    for (String name : names) {
      Entry old = booted.entries().get(name);
      Entry now = next.entries().get(name);
      if (old == null) {
        differences.add(name + " (only in the new runner)");
      } else if (now == null) {
        differences.add(name + " (only in the booted runner)");
      } else if (!same(normalise(old, from), normalise(now, to))) {
        differences.add(name);
      }
    }
    return differences;
  }

  private static boolean same(Entry a, Entry b) {
    // A file too large to read is never taken as unchanged.
    return a.kind() != Kind.LARGE && a.kind() != Kind.OTHER && Objects.equals(a, b);
  }

  private static Entry normalise(Entry entry, String system) {
    if (entry.kind() != Kind.FILE && entry.kind() != Kind.LINK) {
      return entry;
    }
    String text = system == null ? entry.text() : entry.text().replace(system, SYSTEM);
    text = CLOSURE_INFO_PATH.matcher(text).replaceAll(CLOSURE_INFO);
    return new Entry(entry.kind(), entry.executable(), text);
  }

  private static String describe(List<String> differences) {
    if (differences.isEmpty()) {
      return "no file differs";
    }
    String shown =
        String.join(", ", differences.subList(0, Math.min(NAMES_SHOWN, differences.size())));
    int more = differences.size() - NAMES_SHOWN;
    if (differences.size() == 1) {
      return shown + " differs";
    }
    return shown + (more > 0 ? " and " + more + " more" : "") + " differ";
  }
}
