package io.piddm.trainer;

import io.piddm.service.BearerAuth;
import io.piddm.service.ServiceTokens;
import io.quarkus.runtime.Startup;
import jakarta.enterprise.context.ApplicationScoped;
import java.nio.file.Path;
import java.util.Set;

/**
 * StartRun and CancelRun need the trainer's bearer token; reads are open. Created at startup, so a
 * generated token is on disk before the first client looks for it.
 */
@Startup
@ApplicationScoped
public class TrainerAuth extends BearerAuth {

  private static final Set<String> MUTATING = Set.of("StartRun", "CancelRun");

  private final String token;

  public TrainerAuth(TrainerConfig config) {
    this.token =
        ServiceTokens.configuredOrGenerated(
            config.token(), Path.of(config.dataDir()).toAbsolutePath(), "piddm.trainer.token");
  }

  @Override
  protected boolean needsToken(String method) {
    return MUTATING.contains(method);
  }

  @Override
  protected String token() {
    return token;
  }
}
