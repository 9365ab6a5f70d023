package io.piddm.registry.store;

/** The object store could not be reached or answered with a server error. */
public final class StoreUnavailableException extends RuntimeException {
  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
