package io.piddm.registry;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** The registry's settings, {@code piddm.registry.*} (README.md lists them). */
@ConfigMapping(prefix = "piddm.registry")
public interface RegistryConfig {

  /** Where the embedded S3 server keeps its files, and the generated token. */
  @WithDefault("${user.home}/.piddm/registry")
  String dataDir();

  /** Bearer token for mutating calls; when empty one is generated into {@code <data-dir>/token}. */
  Optional<String> token();

  /** Whether reads (Get*, List*, Download, WatchAliases) work without the token. */
  @WithDefault("true")
  boolean openReads();

  /** Largest file a version may hold; at most 5 GiB, what one S3 PUT can store. */
  @WithDefault("4294967296")
  long maxFileBytes();

  /** How often WatchAliases looks for moves made by other replicas. */
  @WithDefault("1s")
  Duration watchPollInterval();

  /** How often readiness asks the object store whether it answers. */
  @WithDefault("1s")
  Duration healthInterval();

  /**
   * An upload's version claim not refreshed for this long (an upload refreshes it while bytes
   * arrive) and without a manifest is abandoned, and removed with what the upload wrote.
   */
  @WithDefault("10m")
  Duration claimTtl();

  S3 s3();

  /** The object store: empty endpoint means the embedded S3Proxy. */
  interface S3 {
    /** External S3/MinIO, e.g. https://minio.example:9000; empty: the embedded server. */
    Optional<String> endpoint();

    /** Used with a host:port endpoint without a scheme. */
    @WithDefault("false")
    boolean tls();

    /** Access key; for the embedded server, random unless set. */
    Optional<String> accessKey();

    Optional<String> secretKey();

    @WithDefault("piddm-models")
    String bucket();

    /** Connect timeout towards the store, so an outage answers UNAVAILABLE quickly. */
    @WithDefault("2s")
    Duration timeout();

    /** Address the embedded server binds. */
    @WithDefault("127.0.0.1")
    String embeddedHost();

    /** Port of the embedded server; 0 picks a free one. */
    @WithDefault("0")
    int embeddedPort();
  }
}
