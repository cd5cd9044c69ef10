package io.microvmoperator.host;

import io.microvmoperator.nix.StorePath;
import io.microvmoperator.nix.VmName;

/**
 * What one converge brings a VM to: {@code current} at {@code runner}, the {@code flake} file
 * holding {@code flakeFileContent} (none when empty), the unit running or stopped; restarted when
 * its booted runner differs and {@code restartOnChange}, or when {@code forceRestart}. The build of
 * {@code keep} (when not null: a runner held back for a restart) is kept with the build of {@code
 * runner}. {@code ownership}: the owner marker the folder must carry.
 */
public record ConvergeRequest(
    VmName vm,
    StorePath runner,
    String flakeFileContent,
    boolean running,
    boolean restartOnChange,
    boolean forceRestart,
    StorePath keep,
    Ownership ownership) {}
