package io.microvmoperator.hydra;

import io.microvmoperator.nix.StorePath;

/** A finished, successful Hydra build and the runner it produced. */
public record HydraBuild(long id, StorePath outPath) {}
