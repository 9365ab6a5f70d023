package io.piddm.sampler;

import io.smallrye.config.ConfigMapping;
import io.smallrye.config.WithDefault;
import java.time.Duration;
import java.util.Optional;

/** The sampler's settings, {@code piddm.sampler.*} (README.md lists them). */
@ConfigMapping(prefix = "piddm.sampler")
public interface SamplerConfig {

  /** A local student folder (model.onnx + reconstruct.onnx) loaded at startup. */
  Optional<String> modelDir();

  /** The registry, host:port; with {@link #model()} the sampler loads the alias's version. */
  Optional<String> registry();

  /** Bearer token for the registry, needed only when its reads are closed. */
  Optional<String> registryToken();

  /** CA certificate (PEM) the registry's TLS certificate is checked against; none: plaintext. */
  Optional<String> registryCaFile();

  /** Model name in the registry. */
  Optional<String> model();

  /** The alias followed in the registry. */
  @WithDefault("production")
  String alias();

  /** Where versions downloaded from the registry are kept. */
  @WithDefault("${java.io.tmpdir}/piddm-sampler")
  String cacheDir();

  /** How often the alias is re-read from the registry (0: only at startup). */
  @WithDefault("30s")
  Duration reconcileInterval();

  /** ONNX Runtime execution provider: auto, cuda or cpu. */
  @WithDefault("auto")
  String provider();

  /** ONNX Runtime intra-op threads per session (0: its default). */
  @WithDefault("0")
  int intraOpThreads();

  /** Threads running Generate/Reconstruct/ModelInfer (never the gRPC event loop). */
  @WithDefault("2")
  int workers();

  /** Largest Generate count. */
  @WithDefault("64")
  int maxCount();

  /** Largest number of PIDDM-ref refinement steps in Generate. */
  @WithDefault("200")
  int maxRefinementSteps();

  /** Largest Reconstruct step count. */
  @WithDefault("5000")
  int maxSteps();

  /** Largest Reconstruct ensemble. */
  @WithDefault("16")
  int maxEnsemble();

  /** Largest ModelInfer batch. */
  @WithDefault("64")
  int maxInferBatch();

  /** Requests waiting for a worker beyond this many answer RESOURCE_EXHAUSTED. */
  @WithDefault("64")
  int maxQueue();

  /**
   * Micro-batching of plain Generate requests: at most this many fields per ONNX Runtime run (1
   * turns batching off).
   */
  @WithDefault("32")
  int batchMaxSize();

  /**
   * How long a batch waits for more requests after its first one arrived. 0: no waiting, a batch
   * takes what queued while the dispatchers were busy, so an idle sampler adds no latency and a
   * loaded one batches by itself.
   */
  @WithDefault("0ms")
  Duration batchMaxDelay();
}
