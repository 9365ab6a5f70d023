package io.piddm.registry.store;

/**
 * The object store answered but refused the registry's request (a 4xx such as AccessDenied,
 * InvalidAccessKeyId or NoSuchBucket): retrying will not help until the registry's S3 settings or
 * the store's are fixed. The message names the store's error code and what to check.
 */
public final class StoreMisconfiguredException extends StoreException {
  public StoreMisconfiguredException(String message, Throwable cause) {
    super(message, cause);
  }
}
