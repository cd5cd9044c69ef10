package io.microvmoperator.reconcile.fakes;

import io.microvmoperator.host.GuestSwitch;
import io.microvmoperator.host.GuestSwitchOutcome;
import io.microvmoperator.host.LiveSwitchOperations;
import io.microvmoperator.host.NixCommandException;
import io.microvmoperator.host.RunnerFilesParser.RunnerPair;
import io.microvmoperator.host.SshTarget;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.nix.VmName;
import java.util.ArrayList;
import java.util.List;

/** The live switch of a {@link FakeHost}: answers what a test sets and records the requests. */
public final class FakeLiveSwitch implements LiveSwitchOperations {

  public static final StorePath REGISTRATION =
      new StorePath("/nix/store/" + "r".repeat(32) + "-registration");

  public final List<String> calls = new ArrayList<>();
  public final List<GuestSwitch> requests = new ArrayList<>();
  public final List<SshTarget> guests = new ArrayList<>();
  public RunnerPair runners;
  public GuestSwitchOutcome outcome;
  public NixCommandException registrationFailure;

  @Override
  public RunnerPair readRunners(StorePath booted, StorePath next) {
    calls.add("readRunners");
    return runners;
  }

  @Override
  public StorePath registration(VmName vm, StorePath system) throws NixCommandException {
    calls.add("registration");
    if (registrationFailure != null) {
      throw registrationFailure;
    }
    return REGISTRATION;
  }

  @Override
  public GuestSwitchOutcome switchGuest(SshTarget guest, GuestSwitch request) {
    calls.add("switchGuest");
    guests.add(guest);
    requests.add(request);
    return outcome;
  }
}
