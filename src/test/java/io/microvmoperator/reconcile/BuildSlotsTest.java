package io.microvmoperator.reconcile;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class BuildSlotsTest {

  private final BuildSlots slots = new BuildSlots();
  private final List<String> woken = new ArrayList<>();

  @Test
  void aFreedSlotWakesTheVmsWaitingOnThatHostOnly() {
    assertThat(slots.tryAcquire("h1", "a", 1)).isTrue();
    assertThat(slots.tryAcquire("h1", "b", 1)).isFalse();
    slots.waitFor("h1", "b", () -> woken.add("b"));
    slots.waitFor("h2", "c", () -> woken.add("c"));

    slots.release("h1", "a");

    assertThat(woken).containsExactly("b");
    assertThat(slots.tryAcquire("h1", "b", 1)).isTrue();
  }

  @Test
  void aWaiterIsWokenOnceAndNotAfterItGotASlot() {
    slots.tryAcquire("h1", "a", 1);
    slots.waitFor("h1", "b", () -> woken.add("b"));
    slots.release("h1", "a");
    slots.tryAcquire("h1", "a", 1);
    slots.release("h1", "a");
    assertThat(woken).containsExactly("b");

    slots.tryAcquire("h1", "a", 1);
    slots.waitFor("h1", "b", () -> woken.add("b again"));
    assertThat(slots.tryAcquire("h1", "b", 2)).isTrue();
    slots.release("h1", "a");
    assertThat(woken).containsExactly("b");
  }

  @Test
  void forgettingADeletedVmFreesItsSlotAndDropsItsWait() {
    slots.tryAcquire("h1", "a", 1);
    slots.waitFor("h1", "b", () -> woken.add("b"));
    slots.waitFor("h1", "c", () -> woken.add("c"));
    slots.forget("h1", "c");
    slots.forget("h1", "a");
    assertThat(woken).containsExactly("b");
  }

  @Test
  void releasingASlotNotHeldWakesNobody() {
    slots.tryAcquire("h1", "a", 1);
    slots.waitFor("h1", "b", () -> woken.add("b"));
    slots.release("h1", "x");
    assertThat(woken).isEmpty();
  }
}
