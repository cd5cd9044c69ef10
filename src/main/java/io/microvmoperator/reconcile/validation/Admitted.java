package io.microvmoperator.reconcile.validation;

import io.microvmoperator.api.MicroVMHost;
import io.microvmoperator.reconcile.validation.SpecValidator.ValidSpec;

/** A MicroVM whose spec and placement are valid: its host and its validated spec. */
public record Admitted(MicroVMHost host, ValidSpec valid) {}
