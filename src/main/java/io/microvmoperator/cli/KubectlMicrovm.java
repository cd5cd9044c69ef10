package io.microvmoperator.cli;

import java.io.BufferedReader;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.InputStreamReader;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/**
 * {@code kubectl-microvm}: the entry point of the kubectl plugin. Exit code 0 when the command did
 * what it was asked, 1 otherwise, with one line {@code error: ...} on stderr.
 */
@Command(
    name = "kubectl microvm",
    mixinStandardHelpOptions = true,
    versionProvider = KubectlMicrovm.Version.class,
    description = "MicroVMs on NixOS hosts, as microvm -l shows them, and the day-2 actions.",
    subcommands = {
      ListCommand.class,
      StatusCommand.class,
      LogsCommand.class,
      ReconcileCommand.class,
      RestartCommand.class,
      ApproveCommand.class,
      SuspendCommand.class,
      ResumeCommand.class,
      HostCommand.class
    })
public final class KubectlMicrovm implements Runnable {

  @Mixin KubeOptions kube;

  private Io io;
  private Session session;

  public static void main(String[] args) {
    PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), true, UTF8);
    PrintStream err = new PrintStream(new FileOutputStream(FileDescriptor.err), true, UTF8);
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, UTF8));
    System.exit(run(new Io(out, err, in), args));
  }

  private static final java.nio.charset.Charset UTF8 = StandardCharsets.UTF_8;

  /** Runs the plugin with these streams; returns the exit code. */
  public static int run(Io io, String... args) {
    KubectlMicrovm root = new KubectlMicrovm();
    root.io = io;
    CommandLine line = new CommandLine(root);
    line.setOut(new java.io.PrintWriter(io.out(), true));
    line.setErr(new java.io.PrintWriter(io.err(), true));
    line.setParameterExceptionHandler(
        (e, a) -> {
          io.err()
              .println(
                  "error: "
                      + Errors.oneLine(e.getMessage())
                      + " (see '"
                      + e.getCommandLine().getCommandSpec().qualifiedName()
                      + " --help')");
          return 1;
        });
    line.setExecutionExceptionHandler(
        (e, cmd, parsed) -> {
          io.err().println("error: " + Errors.describe(e, root.serverOrNull()));
          return 1;
        });
    try {
      return line.execute(args);
    } finally {
      if (root.session != null) {
        root.session.close();
      }
    }
  }

  /** The session of this run, made on first use. */
  Session session() {
    if (session == null) {
      session = new Session(io, kube);
    }
    return session;
  }

  private String serverOrNull() {
    try {
      return session == null ? null : session.server();
    } catch (RuntimeException e) {
      return null;
    }
  }

  @Override
  public void run() {
    new CommandLine(this).usage(io.out());
  }

  /** The version of the jar the plugin runs from. */
  static final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
      String version = KubectlMicrovm.class.getPackage().getImplementationVersion();
      return new String[] {"kubectl-microvm " + (version == null ? "(development)" : version)};
    }
  }
}
