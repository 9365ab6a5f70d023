package io.piddm.inference;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;
import java.util.Locale;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Opens ONNX Runtime sessions with an execution-provider choice. {@link Provider#CUDA} fails when
 * CUDA is not available (the CPU artifact, or no GPU); {@link Provider#AUTO} tries CUDA and falls
 * back to CPU, logging why.
 */
public final class OnnxSessions {

  private static final Logger LOG = Logger.getLogger(OnnxSessions.class.getName());

  public enum Provider {
    AUTO,
    CUDA,
    CPU;

    public static Provider parse(String name) {
      return valueOf(name.trim().toUpperCase(Locale.ROOT));
    }
  }

  /** A session and the provider it runs on. */
  public record Opened(OrtSession session, Provider provider) implements AutoCloseable {
    @Override
    public void close() throws OrtException {
      session.close();
    }
  }

  private OnnxSessions() {}

  /**
   * Opens {@code model}. {@code intraOpThreads} ≤ 0 leaves ONNX Runtime's default; graph
   * optimisation is on (ALL_OPT).
   */
  public static Opened open(Path model, Provider provider, int intraOpThreads) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    if (provider != Provider.CPU) {
      try (OrtSession.SessionOptions options = options(intraOpThreads)) {
        options.addCUDA(0);
        return new Opened(env.createSession(model.toString(), options), Provider.CUDA);
      } catch (OrtException | RuntimeException | UnsatisfiedLinkError e) {
        if (provider == Provider.CUDA) {
          throw e instanceof OrtException oe
              ? oe
              : new OrtException("CUDA execution provider unavailable: " + e);
        }
        LOG.log(
            Level.INFO,
            "ONNX Runtime: CUDA execution provider unavailable ({0}); running {1} on CPU",
            new Object[] {e.getMessage(), model.getFileName()});
      }
    }
    try (OrtSession.SessionOptions options = options(intraOpThreads)) {
      return new Opened(env.createSession(model.toString(), options), Provider.CPU);
    }
  }

  private static OrtSession.SessionOptions options(int intraOpThreads) throws OrtException {
    OrtSession.SessionOptions options = new OrtSession.SessionOptions();
    options.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
    if (intraOpThreads > 0) {
      options.setIntraOpNumThreads(intraOpThreads);
      options.setInterOpNumThreads(1);
    }
    return options;
  }
}
