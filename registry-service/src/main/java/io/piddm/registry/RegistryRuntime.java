package io.piddm.registry;

import io.micrometer.core.instrument.MeterRegistry;
import io.piddm.registry.core.AliasWatchHub;
import io.piddm.registry.core.Registry;
import io.piddm.registry.store.EmbeddedS3;
import io.piddm.registry.store.ObjectStore;
import io.piddm.registry.store.StoreException;
import io.piddm.service.PrivateFiles;
import io.piddm.service.ServiceTokens;
import io.quarkus.runtime.ShutdownEvent;
import io.quarkus.runtime.StartupEvent;
import jakarta.annotation.Priority;
import jakarta.enterprise.context.ApplicationScoped;
import jakarta.enterprise.event.Observes;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.HexFormat;
import org.jboss.logging.Logger;

/**
 * Starts the object store (embedded S3Proxy unless an endpoint is configured), the registry logic
 * and the alias watch poller when the application starts, and stops them when it stops.
 */
@ApplicationScoped
public class RegistryRuntime {

  private static final Logger LOG = Logger.getLogger(RegistryRuntime.class);

  private final RegistryConfig config;
  private final MeterRegistry meters;
  private EmbeddedS3 embedded;
  private ObjectStore store;
  private Registry registry;
  private AliasWatchHub hub;
  private String token;

  public RegistryRuntime(RegistryConfig config, MeterRegistry meters) {
    this.config = config;
    this.meters = meters;
  }

  void start(@Observes @Priority(1000) StartupEvent event) throws Exception {
    Path data = Path.of(config.dataDir()).toAbsolutePath();
    // owner-only when this creates it: it holds the generated token and the embedded S3's files
    PrivateFiles.createDirectories(data);
    token = ServiceTokens.configuredOrGenerated(config.token(), data, "piddm.registry.token");
    RegistryConfig.S3 s3 = config.s3();
    String endpoint;
    String accessKey;
    String secretKey;
    if (s3.endpoint().filter(e -> !e.isBlank()).isPresent()) {
      endpoint = s3.endpoint().get();
      if (!endpoint.contains("://")) {
        endpoint = (s3.tls() ? "https://" : "http://") + endpoint;
      }
      accessKey = s3.accessKey().orElse("");
      secretKey = s3.secretKey().orElse("");
      LOG.infof("registry storage: external S3 at %s, bucket %s", endpoint, s3.bucket());
    } else {
      accessKey = s3.accessKey().orElseGet(() -> random(10));
      secretKey = s3.secretKey().orElseGet(() -> random(20));
      embedded =
          EmbeddedS3.start(
              data.resolve("s3"), s3.embeddedHost(), s3.embeddedPort(), accessKey, secretKey);
      endpoint = embedded.endpoint();
      LOG.infof(
          "registry storage: embedded S3 at %s over %s, bucket %s",
          endpoint, data.resolve("s3"), s3.bucket());
    }
    store = new ObjectStore(endpoint, accessKey, secretKey, s3.bucket(), s3.timeout());
    registry =
        new Registry(store, config.maxFileBytes(), config.claimTtl(), Clock.systemUTC(), meters);
    try {
      store.ensureBucket();
      registry.cleanUp(embedded != null);
    } catch (StoreException e) {
      // readiness reports it too; the registry starts anyway and serves once the store is fixed
      LOG.errorf(
          "object store not usable at start: %s; readiness stays DOWN until it is", e.getMessage());
    }
    hub = new AliasWatchHub(registry, config.watchPollInterval());
    hub.start();
  }

  void stop(@Observes ShutdownEvent event) {
    if (hub != null) {
      hub.close();
    }
    if (store != null) {
      store.close();
    }
    if (embedded != null) {
      try {
        embedded.close();
      } catch (Exception e) {
        LOG.warn("embedded S3 did not stop cleanly", e);
      }
    }
  }

  public Registry registry() {
    return registry;
  }

  public AliasWatchHub hub() {
    return hub;
  }

  public ObjectStore store() {
    return store;
  }

  public String token() {
    return token;
  }

  public boolean openReads() {
    return config.openReads();
  }

  private static String random(int bytes) {
    byte[] raw = new byte[bytes];
    new SecureRandom().nextBytes(raw);
    return HexFormat.of().formatHex(raw);
  }
}
