package io.piddm.service;

import com.google.protobuf.InvalidProtocolBufferException;
import io.grpc.ForwardingServerCallListener;
import io.grpc.Metadata;
import io.grpc.MethodDescriptor;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.ServerInterceptors;
import io.grpc.ServerMethodDefinition;
import io.grpc.ServerServiceDefinition;
import io.grpc.Status;
import io.grpc.StatusRuntimeException;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.HashMap;
import java.util.Map;

/**
 * A service whose requests are parsed inside its handlers, so bytes that are not a valid request
 * message answer INVALID_ARGUMENT naming the expected message, where grpc-java answers a failing
 * request marshaller with UNKNOWN "Application error processing RPC". Each service's {@code
 * bindService()} returns {@code StrictRequests.of(super.bindService())}.
 *
 * <p>How: {@link ServerInterceptors#useMarshalledMessages} re-binds every method to take the
 * request's bytes and give protobuf's response stream (no extra copy), and parses each request with
 * the method's own marshaller inside the listener, where an interceptor can turn a parse failure
 * into a status. Names, schema descriptors (gRPC reflection) and handlers stay as they were.
 */
public final class StrictRequests {

  /**
   * Requests as the bytes that arrived: copied off the transport's buffers before the handler runs,
   * because Quarkus hands blocking handlers their messages on a worker thread after the transport
   * has released the buffers a lazily read stream would point into.
   */
  private static final MethodDescriptor.Marshaller<byte[]> BYTES =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(byte[] value) {
          return new ByteArrayInputStream(value);
        }

        @Override
        public byte[] parse(InputStream stream) {
          try {
            return stream.readAllBytes();
          } catch (IOException e) {
            throw Status.INTERNAL
                .withDescription("cannot read the request: " + e.getMessage())
                .asRuntimeException();
          }
        }
      };

  /** Responses as protobuf's own stream: written to the transport without another copy. */
  private static final MethodDescriptor.Marshaller<InputStream> STREAMS =
      new MethodDescriptor.Marshaller<>() {
        @Override
        public InputStream stream(InputStream value) {
          return value;
        }

        @Override
        public InputStream parse(InputStream stream) {
          return stream;
        }
      };

  private StrictRequests() {}

  public static ServerServiceDefinition of(ServerServiceDefinition service) {
    Map<String, String> requestTypes = new HashMap<>();
    for (ServerMethodDefinition<?, ?> method : service.getMethods()) {
      MethodDescriptor<?, ?> descriptor = method.getMethodDescriptor();
      requestTypes.put(descriptor.getFullMethodName(), requestType(descriptor));
    }
    // a method reference, not a class implementing ServerInterceptor, so that Quarkus does not
    // report it as an interceptor nobody registered
    ServerInterceptor failures = new ParseFailures(requestTypes)::interceptCall;
    return ServerInterceptors.intercept(
        ServerInterceptors.useMarshalledMessages(service, BYTES, STREAMS), failures);
  }

  private static String requestType(MethodDescriptor<?, ?> method) {
    if (method.getRequestMarshaller() instanceof MethodDescriptor.PrototypeMarshaller<?> proto
        && proto.getMessagePrototype() instanceof com.google.protobuf.Message message) {
      return message.getDescriptorForType().getFullName();
    }
    return "request";
  }

  /** Whether a failure came from parsing the request bytes, not from the handler. */
  static boolean isParseFailure(Throwable failure) {
    for (Throwable t = failure; t != null; t = t.getCause()) {
      if (t instanceof InvalidProtocolBufferException) {
        return true;
      }
    }
    return false;
  }

  private record ParseFailures(Map<String, String> requestTypes) {

    <Q, R> ServerCall.Listener<Q> interceptCall(
        ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
      String type =
          requestTypes.getOrDefault(call.getMethodDescriptor().getFullMethodName(), "request");
      return new ForwardingServerCallListener.SimpleForwardingServerCallListener<>(
          next.startCall(call, headers)) {
        private boolean refused;

        @Override
        public void onMessage(Q message) {
          if (refused) {
            return;
          }
          try {
            super.onMessage(message);
          } catch (StatusRuntimeException e) {
            if (!isParseFailure(e)) {
              throw e;
            }
            refused = true;
            Throwable cause = e.getCause() != null ? e.getCause() : e;
            call.close(
                Status.INVALID_ARGUMENT.withDescription(
                    "the request is not a valid " + type + " message: " + cause.getMessage()),
                new Metadata());
          }
        }

        @Override
        public void onHalfClose() {
          // a refused call is closed already: its handler never sees a request
          if (!refused) {
            super.onHalfClose();
          }
        }
      };
    }
  }
}
