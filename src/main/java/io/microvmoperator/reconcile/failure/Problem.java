package io.microvmoperator.reconcile.failure;

/** Something a person must fix, with a reason (CamelCase) and a message they understand. */
public record Problem(String reason, String message) {}
