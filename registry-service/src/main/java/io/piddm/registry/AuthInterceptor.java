package io.piddm.registry;

import io.grpc.Context;
import io.piddm.service.BearerAuth;
import jakarta.enterprise.context.ApplicationScoped;
import java.util.Set;

/**
 * Mutating RegistryService calls need "authorization: Bearer &lt;token&gt;" ({@link BearerAuth});
 * reads need it too when reads are closed.
 */
@ApplicationScoped
public class AuthInterceptor extends BearerAuth {

  static final Context.Key<String> ACTOR = BearerAuth.ACTOR;

  private static final Set<String> MUTATING =
      Set.of("CreateVersion", "SetAlias", "RollbackAlias", "SetAliasPolicy");

  private final RegistryRuntime runtime;

  public AuthInterceptor(RegistryRuntime runtime) {
    this.runtime = runtime;
  }

  @Override
  protected boolean needsToken(String method) {
    return MUTATING.contains(method) || !runtime.openReads();
  }

  @Override
  protected String token() {
    return runtime.token();
  }
}
