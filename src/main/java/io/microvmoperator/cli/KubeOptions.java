package io.microvmoperator.cli;

import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * kubectl's connection flags, accepted before or after the subcommand ({@code kubectl microvm -n
 * team-a list} and {@code kubectl microvm list -n team-a}).
 */
public final class KubeOptions {

  @Option(
      names = {"-n", "--namespace"},
      scope = ScopeType.INHERIT,
      description = "The namespace (default: the kubeconfig context's, else default).")
  String namespace;

  @Option(
      names = "--context",
      scope = ScopeType.INHERIT,
      description = "The kubeconfig context to use.")
  String context;

  @Option(
      names = "--kubeconfig",
      scope = ScopeType.INHERIT,
      description = "Path to the kubeconfig file (default: $KUBECONFIG, else ~/.kube/config).")
  String kubeconfig;

  @Option(
      names = "--request-timeout",
      scope = ScopeType.INHERIT,
      defaultValue = "30",
      description = "Seconds to wait for one answer of the API server (default: ${DEFAULT-VALUE}).")
  int requestTimeoutSeconds;
}
