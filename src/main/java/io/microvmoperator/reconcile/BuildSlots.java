package io.microvmoperator.reconcile;

import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Limits how many builds the operator runs on one host at once (maxConcurrentBuilds). */
final class BuildSlots {

  private final Map<String, Set<String>> building = new ConcurrentHashMap<>();

  /** Takes a slot on {@code host} for {@code vm}; true if it holds one now. */
  synchronized boolean tryAcquire(String host, String vm, int max) {
    Set<String> vms = building.computeIfAbsent(host, h -> ConcurrentHashMap.newKeySet());
    if (vms.contains(vm)) {
      return true;
    }
    if (vms.size() >= max) {
      return false;
    }
    vms.add(vm);
    return true;
  }

  synchronized void release(String host, String vm) {
    Set<String> vms = building.get(host);
    if (vms != null) {
      vms.remove(vm);
    }
  }
}
