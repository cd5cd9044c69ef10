package io.microvmoperator.cli;

import io.microvmoperator.api.MicroVM;

/**
 * A MicroVM named on the command line: {@code NAME} in the current namespace, or {@code NS/NAME}.
 */
record VmRef(String namespace, String name) {

  static VmRef parse(String text, String defaultNamespace) {
    int slash = text.indexOf('/');
    if (slash < 0) {
      return new VmRef(defaultNamespace, text);
    }
    if (slash == 0 || slash == text.length() - 1 || text.indexOf('/', slash + 1) >= 0) {
      throw new CliException("\"" + text + "\" is not NAME or NAMESPACE/NAME");
    }
    return new VmRef(text.substring(0, slash), text.substring(slash + 1));
  }

  /** Reads the MicroVM, or fails with kubectl's wording when there is none. */
  MicroVM get(Session session) {
    MicroVM vm =
        session.client().resources(MicroVM.class).inNamespace(namespace).withName(name).get();
    if (vm == null) {
      throw new CliException(
          "microvm \"" + name + "\" not found in namespace \"" + namespace + "\"");
    }
    return vm;
  }

  @Override
  public String toString() {
    return namespace + "/" + name;
  }
}
