package io.piddm.service;

import io.grpc.MethodDescriptor;
import io.grpc.ServerCallHandler;
import io.grpc.ServerServiceDefinition;
import io.grpc.ServiceDescriptor;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import io.grpc.stub.ServerCalls;
import io.grpc.stub.StreamObserver;

/**
 * The answer of an RPC whose contract exists but whose implementation lands with a later issue:
 * UNIMPLEMENTED with a message naming the RPC and what is missing, never a fake success.
 */
public final class NotYetImplemented {

  private NotYetImplemented() {}

  public static StatusRuntimeException error(String rpc, String missing) {
    return Status.UNIMPLEMENTED
        .withDescription(rpc + " is not implemented yet: " + missing)
        .asRuntimeException();
  }

  /**
   * A definition of {@code service} in which every RPC answers {@link #error} with {@code missing},
   * so the contract is served (reflection, health) before its implementation exists.
   */
  public static ServerServiceDefinition service(ServiceDescriptor service, String missing) {
    ServerServiceDefinition.Builder definition = ServerServiceDefinition.builder(service);
    for (MethodDescriptor<?, ?> method : service.getMethods()) {
      addUnimplemented(definition, method, missing);
    }
    return definition.build();
  }

  private static <Q, R> void addUnimplemented(
      ServerServiceDefinition.Builder definition, MethodDescriptor<Q, R> method, String missing) {
    StatusRuntimeException error = error(method.getBareMethodName(), missing);
    ServerCallHandler<Q, R> handler =
        switch (method.getType()) {
          case UNARY ->
              ServerCalls.asyncUnaryCall((request, responses) -> responses.onError(error));
          case SERVER_STREAMING ->
              ServerCalls.asyncServerStreamingCall(
                  (request, responses) -> responses.onError(error));
          case CLIENT_STREAMING ->
              ServerCalls.asyncClientStreamingCall(responses -> failAndDiscard(responses, error));
          case BIDI_STREAMING ->
              ServerCalls.asyncBidiStreamingCall(responses -> failAndDiscard(responses, error));
          case UNKNOWN ->
              throw new IllegalArgumentException("unknown type of " + method.getFullMethodName());
        };
    definition.addMethod(method, handler);
  }

  private static <Q> StreamObserver<Q> failAndDiscard(
      StreamObserver<?> responses, StatusRuntimeException error) {
    responses.onError(error);
    return new StreamObserver<>() {
      @Override
      public void onNext(Q request) {}

      @Override
      public void onError(Throwable t) {}

      @Override
      public void onCompleted() {}
    };
  }
}
