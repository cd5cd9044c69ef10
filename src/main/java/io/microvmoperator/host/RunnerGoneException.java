package io.microvmoperator.host;

/**
 * The runner to deploy is no longer in the host's store: a garbage collection took it after its
 * build and before its deploy. Nothing was changed; the builds of it were forgotten, so that the
 * next reconcile builds it again.
 */
public final class RunnerGoneException extends NixCommandException {

  public RunnerGoneException(String message, String output) {
    super(message, output);
  }
}
