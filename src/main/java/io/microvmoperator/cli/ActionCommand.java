package io.microvmoperator.cli;

import io.microvmoperator.api.MicroVM;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.ParentCommand;

/**
 * An action on MicroVMs: for each target, the change to apply (or none, with a note), applied with
 * server-side apply under the plugin's field manager, and one line per MicroVM on stdout.
 */
abstract class ActionCommand implements Callable<Integer> {

  @ParentCommand KubectlMicrovm root;

  @Mixin Targets targets;

  /** The change for this MicroVM, or null to leave it (after saying why on stderr). */
  abstract Change changeFor(Session session, MicroVM vm);

  /** What the line printed after a change says, e.g. {@code reconcile requested}. */
  abstract String done();

  /** After every change was applied: wait for the operator, if asked. */
  void after(Session session, List<Applied> applied) {}

  @Override
  public Integer call() {
    Session session = root.session();
    List<MicroVM> vms = targets.resolve(session);
    List<Applied> applied = new ArrayList<>();
    for (MicroVM vm : vms) {
      Change change = changeFor(session, vm);
      if (change == null) {
        continue;
      }
      PluginApply.apply(session, vm, change);
      applied.add(new Applied(vm, change));
      session.io().out().println("microvm " + ManagedVerdicts.ref(vm) + " " + done());
    }
    after(session, applied);
    return 0;
  }

  /** A change that was applied to a MicroVM. */
  record Applied(MicroVM vm, Change change) {}
}
