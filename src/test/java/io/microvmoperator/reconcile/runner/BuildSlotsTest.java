package io.microvmoperator.reconcile.runner;

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
  void aWaiterIsWokenAtEveryFreedSlotUntilItTakesOne() {
    slots.tryAcquire("h1", "a", 1);
    slots.waitFor("h1", "b", () -> woken.add("b"));
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
