package io.microvmoperator.reconcile.validation;

import io.javaoperatorsdk.operator.processing.event.ResourceID;
import io.microvmoperator.api.MicroVM;
import io.microvmoperator.reconcile.kube.VmNames;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;

/**
 * The MicroVMs that claim a VM name on a host, the same for reconcile and cleanup: the oldest claim
 * owns the name until its deletion has finished (a MicroVM being deleted still owns it while its
 * cleanup acts on the host). A claim whose cleanup has finished is released at once, before the
 * informer forgets it, and the claims waiting for the name are reconciled again: an event, not a
 * timer.
 */
public final class Claims {

  /** Long enough for the informer to see the deletion; the entry then only costs memory. */
  private static final Duration FORGET_AFTER = Duration.ofMinutes(10);

  private final Map<String, Instant> released = new ConcurrentHashMap<>();
  private final Clock clock;
  private final Consumer<ResourceID> wake;

  public Claims(Clock clock, Consumer<ResourceID> wake) {
    this.clock = clock;
    this.wake = wake;
  }

  /** The claims on a host that still count: {@code onHost} without released ones. */
  public List<MicroVM> counting(List<MicroVM> onHost) {
    Instant now = clock.instant();
    released.values().removeIf(at -> at.plus(FORGET_AFTER).isBefore(now));
    return onHost.stream().filter(vm -> !released.containsKey(uid(vm))).toList();
  }

  /**
   * {@code vm}'s deletion finished: its claim no longer counts, and the other claims of its VM name
   * in {@code onHost} are reconciled again.
   */
  public void release(MicroVM vm, List<MicroVM> onHost) {
    released.put(uid(vm), clock.instant());
    String name = VmNames.vmName(vm);
    onHost.stream()
        .filter(other -> !uid(other).equals(uid(vm)))
        .filter(other -> VmNames.vmName(other).equals(name))
        .forEach(other -> wake.accept(ResourceID.fromResource(other)));
  }

  private static String uid(MicroVM vm) {
    return String.valueOf(vm.getMetadata().getUid());
  }
}
