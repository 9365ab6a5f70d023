package io.piddm.registry;

import io.grpc.Context;
import io.grpc.Contexts;
import io.grpc.Metadata;
import io.grpc.ServerCall;
import io.grpc.ServerCallHandler;
import io.grpc.ServerInterceptor;
import io.grpc.Status;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Set;

/**
 * Mutating RegistryService calls need "authorization: Bearer &lt;token&gt;": none is
 * UNAUTHENTICATED, a wrong one PERMISSION_DENIED. Reads need it too when reads are closed. The
 * caller's name for history entries comes from the "piddm-actor" metadata (default "token").
 */
@ApplicationScoped
public class AuthInterceptor implements ServerInterceptor {

  static final Context.Key<String> ACTOR = Context.key("piddm-actor");

  private static final Metadata.Key<String> AUTHORIZATION =
      Metadata.Key.of("authorization", Metadata.ASCII_STRING_MARSHALLER);
  private static final Metadata.Key<String> ACTOR_HEADER =
      Metadata.Key.of("piddm-actor", Metadata.ASCII_STRING_MARSHALLER);
  private static final Set<String> MUTATING =
      Set.of("CreateVersion", "SetAlias", "RollbackAlias", "SetAliasPolicy");

  private final RegistryRuntime runtime;

  public AuthInterceptor(RegistryRuntime runtime) {
    this.runtime = runtime;
  }

  @Override
  public <Q, R> ServerCall.Listener<Q> interceptCall(
      ServerCall<Q, R> call, Metadata headers, ServerCallHandler<Q, R> next) {
    String method = call.getMethodDescriptor().getBareMethodName();
    boolean needsToken = MUTATING.contains(method) || !runtime.openReads();
    if (needsToken) {
      String authorization = headers.get(AUTHORIZATION);
      if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
        call.close(
            Status.UNAUTHENTICATED.withDescription(
                method + " needs the metadata \"authorization: Bearer <token>\""),
            new Metadata());
        return new ServerCall.Listener<>() {};
      }
      byte[] given = authorization.substring(7).trim().getBytes(StandardCharsets.UTF_8);
      byte[] expected = runtime.token().getBytes(StandardCharsets.UTF_8);
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
