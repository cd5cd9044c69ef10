package io.microvmoperator.reconcile.runner;

import static org.assertj.core.api.Assertions.assertThat;

import io.microvmoperator.host.BuildBatch;
import io.microvmoperator.host.BuildRequest;
import io.microvmoperator.nix.FlakeRef;
import io.microvmoperator.nix.NixName;
import io.microvmoperator.nix.StorePath;
import io.microvmoperator.nix.VmName;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BuildSlotsTest {

  private static final FlakeRef FLAKE = new FlakeRef("path:/srv/fleet?narHash=sha256-a");
  private static final FlakeRef OTHER = new FlakeRef("path:/srv/other?narHash=sha256-b");

  private final BuildSlots slots = new BuildSlots();
  private final List<String> woken = new ArrayList<>();

  @Test
  void aFreedSlotWakesTheVmsWaitingOnThatHostOnly() {
    assertThat(slots.tryAcquire("h1", "a", 1)).isTrue();
    assertThat(slots.tryAcquire("h1", "b", 1)).isFalse();
    slots.waitFor("h1", "b", () -> woken.add("b"), build("b", FLAKE));
    slots.waitFor("h2", "c", () -> woken.add("c"), build("c", FLAKE));

    slots.release("h1", "a");

    assertThat(woken).containsExactly("b");
    assertThat(slots.tryAcquire("h1", "b", 1)).isTrue();
  }

  @Test
  void aWaiterIsWokenAtEveryFreedSlotUntilItTakesOne() {
    slots.tryAcquire("h1", "a", 1);
    slots.waitFor("h1", "b", () -> woken.add("b"), build("b", FLAKE));
    slots.release("h1", "a");
    assertThat(slots.isWaiting("h1", "b")).isTrue();
    slots.tryAcquire("h1", "a", 1);
    slots.release("h1", "a");
    assertThat(woken).containsExactly("b", "b");

    assertThat(slots.tryAcquire("h1", "b", 1)).isTrue();
    assertThat(slots.isWaiting("h1", "b")).isFalse();
    slots.tryAcquire("h1", "a", 2);
    slots.release("h1", "a");
    assertThat(woken).containsExactly("b", "b");
  }

  @Test
  void forgettingADeletedVmFreesItsSlotAndDropsItsWait() {
    slots.tryAcquire("h1", "a", 1);
    slots.waitFor("h1", "b", () -> woken.add("b"), build("b", FLAKE));
    slots.waitFor("h1", "c", () -> woken.add("c"), build("c", FLAKE));
    slots.forget("h1", "c");
    slots.forget("h1", "a");
    assertThat(woken).containsExactly("b");
  }

  @Test
  void releasingASlotNotHeldWakesNobody() {
    slots.tryAcquire("h1", "a", 1);
    slots.waitFor("h1", "b", () -> woken.add("b"), build("b", FLAKE));
    slots.release("h1", "x");
    assertThat(woken).isEmpty();
  }

  @Test
  void theVmThatTakesASlotTakesTheWaitersOfItsFlakeIntoItsBatch() {
    slots.tryAcquire("h1", "a", 1);
    slots.waitFor("h1", "b", () -> woken.add("b"), build("b", FLAKE));
    slots.waitFor("h1", "c", () -> woken.add("c"), build("c", OTHER));
    slots.waitFor("h1", "d", () -> woken.add("d"), build("d", FLAKE));
    slots.waitFor("h2", "e", () -> woken.add("e"), build("e", FLAKE));
    slots.release("h1", "a");
    woken.clear();
    assertThat(slots.tryAcquire("h1", "d", 1)).isTrue();

    List<BuildSlots.Waiter> batch = slots.joinBatch("h1", "d", build("d", FLAKE).request());

    assertThat(batch).extracting(BuildSlots.Waiter::vm).containsExactly("b");
    assertThat(slots.isWaiting("h1", "b")).isFalse();
    assertThat(slots.isWaiting("h1", "c")).isTrue();
    assertThat(slots.takeJoined("h1", "b")).isEqualTo(BuildSlots.Joined.STARTING);
    slots.batchStarted("h1", batch);
    assertThat(slots.takeJoined("h1", "b")).isEqualTo(BuildSlots.Joined.STARTED);
    assertThat(slots.takeJoined("h1", "b")).isEqualTo(BuildSlots.Joined.NO);
    assertThat(slots.tryAcquire("h1", "b", 1)).as("b shares d's slot").isTrue();
    assertThat(slots.tryAcquire("h1", "c", 1)).as("the batch is one slot").isFalse();
  }

  @Test
  void aBatchsSlotFreesWhenItsLastMemberIsDone() {
    slots.tryAcquire("h1", "a", 1);
    slots.waitFor("h1", "b", () -> woken.add("b"), build("b", FLAKE));
    slots.waitFor("h1", "c", () -> woken.add("c"), build("c", OTHER));
    slots.joinBatch("h1", "a", build("a", FLAKE).request());

    slots.release("h1", "a");
    assertThat(woken).isEmpty();
    assertThat(slots.tryAcquire("h1", "c", 1)).isFalse();
    slots.forget("h1", "b");

    assertThat(woken).containsExactly("c");
    assertThat(slots.tryAcquire("h1", "c", 1)).isTrue();
  }

  @Test
  void aPrebuiltRunnerOrASameRunnerOrASharedSlotTakesNoOneAlong() {
    slots.tryAcquire("h1", "a", 2);
    slots.waitFor("h1", "b", () -> woken.add("b"), build("b", FLAKE));
    BuildRequest prebuilt =
        BuildRequest.ofStorePath(
            new StorePath("/nix/store/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa-runner"),
            List.of(),
            List.of());
    assertThat(slots.joinBatch("h1", "a", prebuilt)).isEmpty();
    assertThat(slots.joinBatch("h1", "a", build("b", FLAKE).request()))
        .as("the same runner is built once, not twice in one batch")
        .isEmpty();

    slots.waitFor("h1", "c", () -> woken.add("c"), build("c", FLAKE));
    assertThat(slots.joinBatch("h1", "a", build("a", FLAKE).request())).hasSize(2);
    slots.waitFor("h1", "d", () -> woken.add("d"), build("d", FLAKE));
    assertThat(slots.joinBatch("h1", "a", build("a", FLAKE).request()))
        .as("a slot already shared starts no second batch")
        .isEmpty();
  }

  @Test
  void aBatchHoldsAtMostTheLimit() {
    slots.tryAcquire("h1", "leader", 1);
    for (int i = 0; i < BuildSlots.BATCH_LIMIT + 5; i++) {
      slots.waitFor("h1", "vm" + i, () -> {}, build("vm" + i, FLAKE));
    }
    assertThat(slots.joinBatch("h1", "leader", build("leader", FLAKE).request()))
        .hasSize(BuildSlots.BATCH_LIMIT - 1);
  }

  private static BuildBatch.Member build(String vm, FlakeRef flake) {
    return new BuildBatch.Member(
        new VmName(vm), BuildRequest.ofFlake(flake, new NixName(vm), List.of(), List.of()));
  }
}
