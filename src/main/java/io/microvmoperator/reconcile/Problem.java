package io.microvmoperator.reconcile;

/** Something a person must fix, with a reason (CamelCase) and a message they understand. */
record Problem(String reason, String message) {}
