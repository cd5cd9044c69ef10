package io.microvmoperator.reconcile.status;

/** Condition types. Ready, Reconciling and Stalled follow kstatus; the rest give detail. */
public final class ConditionTypes {
  public static final String READY = "Ready";
  public static final String RECONCILING = "Reconciling";
  public static final String STALLED = "Stalled";
  public static final String HOST_REACHABLE = "HostReachable";
  public static final String UP_TO_DATE = "UpToDate";
  public static final String RESTART_REQUIRED = "RestartRequired";
  public static final String RUNNING = "Running";

  public static final String REACHABLE = "Reachable";
  public static final String HOST_KEY_VERIFIED = "HostKeyVerified";

  private ConditionTypes() {}
}
