package io.piddm.service;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;

/**
 * The services' bearer-token check: a call that {@link #needsToken needs} one without
 * "authorization: Bearer &lt;token&gt;" is UNAUTHENTICATED, with a wrong one PERMISSION_DENIED (the
 * comparison takes the same time whatever the token). The caller's name for audit records comes
 * from the "piddm-actor" metadata (default "token") and is available as {@link #ACTOR}.
 */
public abstract class BearerAuth implements ServerInterceptor {

  public static final Context.Key<String> ACTOR = Context.key("piddm-actor");

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> ACTOR_HEADER =
      Metadata.Key.of("piddm-actor", Metadata.ASCII_STRING_MARSHALLER);

  /** Whether {@code method} (the bare RPC name) needs the token. */
  protected abstract boolean needsToken(String method);

  /** The token callers must present. */
  protected abstract String token();

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getBareMethodName();
    if (needsToken(method)) {
      String authorization = headers.get(AUTHORIZATION);
      if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
        call.close(
            Status.UNAUTHENTICATED.withDescription(
                method + " needs the metadata \"authorization: Bearer <token>\""),
            new Metadata());
        return new ServerCall.Listener<>() {};
      }
      byte[] given = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
      byte[] expected = token().getBytes(StandardCharsets.UTF_8);
      if (!MessageDigest.isEqual(given, expected)) {
        call.close(
            Status.PERMISSION_DENIED.withDescription("the bearer token is not valid for " + method),
            new Metadata());
        return new ServerCall.Listener<>() {};
      }
    }
    String actor = headers.get(ACTOR_HEADER);
    String who = actor == null || actor.isBlank() ? "token" : actor.strip();
    if (who.length() > 128) {
      who = who.substring(0, 128);
    }
    return Contexts.interceptCall(Context.current().withValue(ACTOR, who), call, headers, next);
  }
}
