package io.microvmoperator.testenv;

import java.util.List;

/**
 * Checks a VM's runner links on a test host the way Nix's garbage collector sees them: {@code
 * current} exists, and each of {@code current}, {@code booted} and {@code old} that exists points
 * at a valid store path that {@code nix-store --gc --print-roots} lists as a root through that very
 * link. Links must not change while it looks (call it with the operator idle or held at a pause).
 */
public final class RunnerLinks {

  private static final String SCRIPT =
      """
      d=/var/lib/microvms/$1
      roots=$(nix-store --gc --print-roots) || { echo "nix-store --gc --print-roots failed"; exit 0; }
      for link in current booted old; do
        if [ -L "$d/$link" ]; then
          target=$(readlink "$d/$link")
          nix-store --check-validity "$target" 2>/dev/null \\
            || echo "$link -> $target is not a valid store path"
          printf '%s\\n' "$roots" | grep -qxF "$d/$link -> $target" \\
            || echo "$link -> $target is not a GC root"
        elif [ "$link" = current ]; then
          echo "current is missing"
        fi
      done
      """;

  private RunnerLinks() {}

  /** What is wrong with VM {@code vmName}'s links on {@code host}; empty when nothing is. */
  public static List<String> problems(TestHost host, String vmName) {
    ExecResult result = host.exec("/bin/sh", "-c", SCRIPT, "sh", vmName).orThrow("checking links");
    return result.stdout().lines().filter(line -> !line.isBlank()).toList();
  }
}
