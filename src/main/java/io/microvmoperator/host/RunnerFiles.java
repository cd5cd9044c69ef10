package io.microvmoperator.host;

import java.util.Map;
import java.util.Optional;

/**
 * What a host holds of one runner, as {@code runner-files.sh} reads it: each entry under the
 * runner's store path by its relative name, and whether its system has {@code
 * bin/switch-to-configuration}. {@code present} is false when the runner is not in the host's store
 * (then there are no entries).
 */
public record RunnerFiles(
    String runner, boolean present, Map<String, Entry> entries, boolean switchable) {

  /** The runner's system: where {@code share/microvm/system} links to. */
  public static final String SYSTEM_LINK = "share/microvm/system";

  public RunnerFiles {
    entries = Map.copyOf(entries);
  }

  /** The target of {@code share/microvm/system}, if the runner has that link. */
  public Optional<String> system() {
    Entry entry = entries.get(SYSTEM_LINK);
    return entry != null && entry.kind() == Kind.LINK
        ? Optional.of(entry.text())
        : Optional.empty();
  }

  /** What an entry is. */
  public enum Kind {
    FILE,
    LARGE,
    LINK,
    DIR,
    OTHER
  }

  /**
   * One entry: a file's content (and whether it is executable), a link's target, or only its kind.
   */
  public record Entry(Kind kind, boolean executable, String text) {

    public static Entry file(boolean executable, String content) {
      return new Entry(Kind.FILE, executable, content);
    }

    public static Entry link(String target) {
      return new Entry(Kind.LINK, false, target);
    }

    public static Entry of(Kind kind) {
      return new Entry(kind, false, "");
    }
  }
}
