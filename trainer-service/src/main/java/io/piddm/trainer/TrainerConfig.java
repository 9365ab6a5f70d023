package io.piddm.trainer;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.util.Optional;

/** The trainer's settings, {@code piddm.trainer.*} (README.md lists them). */
@ConfigMapping(prefix = "piddm.trainer")
public interface TrainerConfig {

  /** Runs (state, data, checkpoints, exports) and the generated token live here. */
  @WithDefault("${user.home}/.piddm/trainer")
  String dataDir();

  /** Bearer token for StartRun and CancelRun; when empty one is generated into data-dir/token. */
  Optional<String> token();

  /** The registry runs publish to, host:port; without it only runs with publish.skip start. */
  Optional<String> registry();

  /** Token for publishing; when empty, read from {@link #registryTokenFile()}. */
  Optional<String> registryToken();

  /** CA certificate (PEM) the registry's TLS certificate is checked against; none: plaintext. */
  Optional<String> registryCaFile();

  /** Where an embedded registry on this machine keeps its generated token. */
  @WithDefault("${user.home}/.piddm/registry/token")
  String registryTokenFile();

  /** Runs that may wait behind the running one; StartRun beyond that is RESOURCE_EXHAUSTED. */
  @WithDefault("16")
  int queueSize();

  /** Worker threads of the dataset solver (0: every core); a run spec's threads field wins. */
  @WithDefault("0")
  int dataThreads();

  /**
   * The only folder {@code dataset.import_path} may name files in (relative paths resolve against
   * {@link #dataDir()}; default {@code <data-dir>/imports}); {@code off} turns imports off.
   */
  Optional<String> importDir();

  /** Upper bounds on a RunSpec's counts, sizes, steps and batches (README.md, "Limits"). */
  Limits limits();

  /** {@code piddm.trainer.limits.*}: see {@link RunLimits} for the fields each bound covers. */
  interface Limits {
    @WithDefault("100000")
    long maxFields();

    @WithDefault("10000000")
    long maxSteps();

    @WithDefault("4096")
    long maxBatch();

    @WithDefault("1000")
    long maxSamplerSteps();

    @WithDefault("256")
    long maxResolution();

    @WithDefault("256")
    long maxThreads();

    @WithDefault("64")
    long maxSeeds();
  }
}
