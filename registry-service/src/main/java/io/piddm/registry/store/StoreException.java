package io.piddm.registry.store;

/**
 * A request to the object store failed. The subclass says whether waiting can help: {@link
 * StoreUnavailableException} (the store is down, overloaded or timing out) or {@link
 * StoreMisconfiguredException} (the store answered and refused; someone has to change a setting).
 */
public abstract sealed class StoreException extends RuntimeException
    permits StoreUnavailableException, StoreMisconfiguredException {
  StoreException(String message, Throwable cause) {
    super(message, cause);
  }
}
