package io.piddm.sampler;

import io.grpc.Status;
import io.grpc.StatusRuntimeException;

/** The sampler's answer to a request it cannot serve as sent: INVALID_ARGUMENT with the reason. */
final class InvalidArgument {

  private InvalidArgument() {}

  static StatusRuntimeException of(String message) {
    return Status.INVALID_ARGUMENT.withDescription(message).asRuntimeException();
  }
}
