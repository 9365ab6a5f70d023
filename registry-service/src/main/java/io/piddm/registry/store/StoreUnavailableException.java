package io.piddm.registry.store;

/** The object store could not be reached, timed out, or answered with a server error (5xx). */
public final class StoreUnavailableException extends StoreException {
  public StoreUnavailableException(String message, Throwable cause) {
    super(message, cause);
  }
}
