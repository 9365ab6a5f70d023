package io.piddm.registry.core;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** The contract's statuses, built with a message in one place. */
public final class Errors {

  private Errors() {}

  public static StatusRuntimeException invalid(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }

  public static StatusRuntimeException notFound(String message) {
    return Status.NOT_FOUND.withDescription(message).asRuntimeException();
  }

  public static StatusRuntimeException aborted(String message) {
    return Status.ABORTED.withDescription(message).asRuntimeException();
  }

  public static StatusRuntimeException failedPrecondition(String message) {
    return Status.FAILED_PRECONDITION.withDescription(message).asRuntimeException();
  }

  public static StatusRuntimeException exhausted(String message) {
    return Status.RESOURCE_EXHAUSTED.withDescription(message).asRuntimeException();
  }

  public static StatusRuntimeException dataLoss(String message) {
    return Status.DATA_LOSS.withDescription(message).asRuntimeException();
  }

  public static StatusRuntimeException unavailable(String message, Throwable cause) {
    return Status.UNAVAILABLE.withDescription(message).withCause(cause).asRuntimeException();
  }
}
