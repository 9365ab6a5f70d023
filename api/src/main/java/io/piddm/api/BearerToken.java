package io.piddm.api;

import io.grpc.ClientInterceptor;
import io.grpc.Metadata;
import io.grpc.stub.MetadataUtils;

/** The {@code authorization: Bearer <token>} header the services' mutating RPCs require. */
public final class BearerToken {

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);

  private BearerToken() {}

  /** An interceptor that sends {@code token} (trimmed) on every call. */
  public static ClientInterceptor header(String token) {
    Metadata headers = new Metadata();
    headers.put(AUTHORIZATION, "Bearer " + token.trim());
    return MetadataUtils.newAttachHeadersInterceptor(headers);
  }

  /** Whether {@code token} is one to send: not null and not blank. */
  public static boolean present(String token) {
    return token != null && !token.isBlank();
  }
}
