package io.piddm.registry.store;

/** A conditional write lost: the object exists (If-None-Match) or changed (If-Match). */
public final class PreconditionFailedException extends Exception {
  public PreconditionFailedException(String key) {
    super("condition failed on " + key);
  }
}
